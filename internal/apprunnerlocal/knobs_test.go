package apprunnerlocal_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

func TestThrottlingIsRetriedThenSurfaces(t *testing.T) {
	ctx := context.Background()
	frozen := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s, hs := newServer(t, apprunnerlocal.Options{
		// A frozen clock never refills the bucket: 2 calls, then throttling.
		Now:        func() time.Time { return frozen },
		RateLimits: map[string]apprunnerlocal.RateLimit{"ListServices": {PerSecond: 1, Burst: 2}},
	})
	client := newClient(t, hs.URL, "AKID", "us-east-1", func(o *apprunner.Options) { o.RetryMaxAttempts = 3 })
	for i := range 2 {
		if _, err := client.ListServices(ctx, &apprunner.ListServicesInput{}); err != nil {
			t.Fatalf("call %d within the burst: %v", i, err)
		}
	}
	_, err := client.ListServices(ctx, &apprunner.ListServicesInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ThrottlingException" {
		t.Fatalf("error = %v, want ThrottlingException", err)
	}
	if _, err := client.ListConnections(ctx, &apprunner.ListConnectionsInput{}); err != nil {
		t.Errorf("an operation without a limit: %v", err)
	}
	want := map[string]int{"ok": 2, "ThrottlingException": 3}
	if diff := cmp.Diff(s.Stats().Outcomes["ListServices"], want); diff != "" {
		t.Errorf("ListServices outcomes (-got +want; the SDK retried twice):\n%s", diff)
	}

	s.SetOptions(func(o *apprunnerlocal.Options) { o.RateLimits = nil })
	if _, err := client.ListServices(ctx, &apprunner.ListServicesInput{}); err != nil {
		t.Errorf("after removing the limit: %v", err)
	}
}

func TestThrottlingRefillsWithTime(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	_, hs := newServer(t, apprunnerlocal.Options{
		Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return now
		},
		RateLimits: map[string]apprunnerlocal.RateLimit{"ListConnections": {PerSecond: 2, Burst: 1}},
	})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	if _, err := client.ListConnections(ctx, &apprunner.ListConnectionsInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.ListConnections(ctx, &apprunner.ListConnectionsInput{}); err == nil {
		t.Fatal("second call at the same instant succeeded, want throttling")
	}
	mu.Lock()
	now = now.Add(500 * time.Millisecond)
	mu.Unlock()
	if _, err := client.ListConnections(ctx, &apprunner.ListConnectionsInput{}); err != nil {
		t.Errorf("after half a second at 2/s: %v", err)
	}
}

// failingCalls returns the indices of calls that failed with an internal
// error, over n calls of a fresh server.
func failingCalls(t *testing.T, seed int64, n int) []int {
	t.Helper()
	ctx := context.Background()
	_, hs := newServer(t, apprunnerlocal.Options{FaultRate: 0.3, FaultSeed: seed})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	var failed []int
	for i := range n {
		_, err := client.ListServices(ctx, &apprunner.ListServicesInput{})
		var internal *types.InternalServiceErrorException
		switch {
		case errors.As(err, &internal):
			failed = append(failed, i)
		case err != nil:
			t.Fatalf("call %d: %v", i, err)
		}
	}
	return failed
}

func TestFaultsAreReproducibleWithASeed(t *testing.T) {
	a, b := failingCalls(t, 42, 100), failingCalls(t, 42, 100)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different faults (-first +second):\n%s", diff)
	}
	if len(a) < 10 || len(a) > 50 {
		t.Errorf("%d of 100 calls failed at rate 0.3", len(a))
	}
	if c := failingCalls(t, 7, 100); cmp.Equal(a, c) {
		t.Error("seeds 42 and 7 fail the same calls")
	}
}

func TestFaultedCallsChangeNothing(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{FaultRate: 1})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	connARN := mustAddConnection(t, s, acct, "us-east-1", apprunnerlocal.SeedConnection{Name: "web-github"})
	_, err := client.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{ConnectionArn: aws.String(connARN)})
	var internal *types.InternalServiceErrorException
	if !errors.As(err, &internal) {
		t.Fatalf("error = %v, want InternalServiceErrorException", err)
	}
	if st, _ := s.Connection(connARN); st.Status != "AVAILABLE" {
		t.Errorf("connection status after a faulted delete = %s, want AVAILABLE", st.Status)
	}
}

func TestLatencyDelaysCalls(t *testing.T) {
	ctx := context.Background()
	_, hs := newServer(t, apprunnerlocal.Options{Latency: 20 * time.Millisecond, Jitter: 10 * time.Millisecond})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	start := time.Now()
	if _, err := client.ListServices(ctx, &apprunner.ListServicesInput{}); err != nil {
		t.Fatal(err)
	}
	// Only a lower bound: upper bounds are flaky on a busy machine.
	if el := time.Since(start); el < 20*time.Millisecond {
		t.Errorf("call took %v, want at least the 20ms latency", el)
	}
}

// post sends a raw JSON 1.0 request, as any client would.
func post(t *testing.T, url, target, body string, signed bool) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", target)
	if signed {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/apprunner/aws4_request, SignedHeaders=host, Signature=00")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(data)
}

func TestRawProtocol(t *testing.T) {
	_, hs := newServer(t, apprunnerlocal.Options{})
	tests := []struct {
		name, target, body string
		signed             bool
		wantStatus         int
		wantBody           string
	}{
		{"unsigned", "AppRunner.ListServices", `{}`, false, 403, `"__type":"MissingAuthenticationTokenException"`},
		{"unknown operation", "AppRunner.ListWidgets", `{}`, true, 400, `"__type":"UnknownOperationException"`},
		{"other service", "DynamoDB_20120810.ListTables", `{}`, true, 400, `"__type":"UnknownOperationException"`},
		{"missing required member", "AppRunner.DeleteConnection", `{}`, true, 400, `"__type":"InvalidRequestException"`},
		{"malformed JSON", "AppRunner.ListServices", `{`, true, 400, `"__type":"SerializationException"`},
		{"wrong member type", "AppRunner.ListServices", `{"MaxResults":"ten"}`, true, 400, `"__type":"SerializationException"`},
		{"empty body", "AppRunner.ListServices", ``, true, 200, `"ServiceSummaryList":[]`},
		{"create connection", "AppRunner.CreateConnection", `{"ConnectionName":"raw-conn","ProviderType":"GITHUB"}`, true, 200, `"Status":"PENDING_HANDSHAKE"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, ctype, body := post(t, hs.URL, tt.target, tt.body, tt.signed)
			if status != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Errorf("got %d %s, want %d containing %s", status, body, tt.wantStatus, tt.wantBody)
			}
			if ctype != "application/x-amz-json-1.0" {
				t.Errorf("Content-Type = %q", ctype)
			}
		})
	}
	_, _, body := post(t, hs.URL, "AppRunner.ListConnections", `{}`, true)
	if !strings.Contains(body, `"CreatedAt":1`) {
		t.Errorf("ListConnections body %s: want CreatedAt as epoch seconds", body)
	}
}

func TestConcurrentClients(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{RateLimits: map[string]apprunnerlocal.RateLimit{"ListServices": {PerSecond: 1e6, Burst: 1000}}})
	seedMany(t, s, 60)
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 8 {
		wg.Go(func() {
			for i := range 10 {
				name := fmt.Sprintf("w%d-conn-%02d", w, i)
				out, err := client.CreateConnection(ctx, &apprunner.CreateConnectionInput{ConnectionName: aws.String(name), ProviderType: types.ProviderTypeBitbucket})
				if err != nil {
					errs <- err
					return
				}
				p := apprunner.NewListServicesPaginator(client, &apprunner.ListServicesInput{MaxResults: aws.Int32(7)})
				for p.HasMorePages() {
					if _, err := p.NextPage(ctx); err != nil {
						errs <- err
						return
					}
				}
				if _, err := client.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{ConnectionArn: out.Connection.ConnectionArn}); err != nil {
					errs <- err
					return
				}
				s.SetOptions(func(o *apprunnerlocal.Options) { o.Latency = 0 })
				_ = s.Stats()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := len(s.Connections(acct, "us-east-1")); got != 60 {
		t.Errorf("%d connections left, want the 60 seeded", got)
	}
	if got := s.Stats().Calls["CreateConnection"]; got != 80 {
		t.Errorf("CreateConnection calls = %d, want 80", got)
	}
}
