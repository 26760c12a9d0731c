package cleanup_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

const (
	account = apprunnerlocal.DefaultAccount
	region  = "us-east-1"
)

// old is comfortably past the default minimum age.
var old = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// world is an emulator with the real SDK client pointed at it.
type world struct {
	t      testing.TB
	srv    *apprunnerlocal.Server
	client *apprunner.Client
}

// newWorld starts an emulator and a real App Runner client for it. Retries
// are quick so that fault tests stay fast; maxAttempts 1 disables them.
func newWorld(t testing.TB, opts apprunnerlocal.Options, maxAttempts int) *world {
	t.Helper()
	srv := apprunnerlocal.New(opts)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	client := apprunnerlocal.NewClient(hs.URL, region, "AKIDTEST", func(o *apprunner.Options) {
		o.Retryer = retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = maxAttempts
			o.MaxBackoff = 5 * time.Millisecond
			o.RateLimiter = ratelimit.None
		})
	})
	return &world{t: t, srv: srv, client: client}
}

func (w *world) conn(c apprunnerlocal.SeedConnection) string {
	w.t.Helper()
	if c.CreatedAt.IsZero() && c.CreatedAgo == 0 {
		c.CreatedAt = old
	}
	arn, err := w.srv.AddConnection(account, region, c)
	if err != nil {
		w.t.Fatalf("add connection %s: %v", c.Name, err)
	}
	return arn
}

func (w *world) service(name, status, connARN string) string {
	w.t.Helper()
	arn, err := w.srv.AddService(account, region, apprunnerlocal.SeedService{Name: name, Status: status, ConnectionARN: connARN, CreatedAt: old})
	if err != nil {
		w.t.Fatalf("add service %s: %v", name, err)
	}
	return arn
}

func (w *world) engine(cfg cleanup.Config) *cleanup.Engine {
	w.t.Helper()
	if cfg.Account == "" {
		cfg.Account, cfg.Region = account, region
	}
	if cfg.MinAge == 0 {
		cfg.MinAge = 24 * time.Hour
	}
	if cfg.ProtectTagKey == "" {
		cfg.ProtectTagKey = "apprunner-cleanup:protect"
	}
	e, err := cleanup.New(w.client, cfg, nil)
	if err != nil {
		w.t.Fatalf("new engine: %v", err)
	}
	return e
}

// exists reports whether the emulator still holds arn as a live connection.
func (w *world) exists(arn string) bool {
	c, ok := w.srv.Connection(arn)
	return ok && c.Status != apprunnerlocal.ConnectionDeleted
}

// byARN indexes a report's results, failing on a connection decided twice.
func byARN(t *testing.T, rep *request.Report) map[string]request.Result {
	t.Helper()
	m := make(map[string]request.Result, len(rep.Results))
	for _, r := range rep.Results {
		if _, dup := m[r.ARN]; dup {
			t.Errorf("connection %s decided twice", r.ARN)
		}
		m[r.ARN] = r
	}
	return m
}

func sweep() []request.RawRequest {
	return []request.RawRequest{{ID: "sweep", Action: request.ActionSweep}}
}

func del(id string, arns ...string) request.RawRequest {
	return request.RawRequest{ID: id, Action: request.ActionDelete, ConnectionARNs: arns}
}

func connName(prefix string, i int) string { return fmt.Sprintf("%s-%04d", prefix, i) }

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func delInput(arn string) *apprunner.DeleteConnectionInput {
	return &apprunner.DeleteConnectionInput{ConnectionArn: aws.String(arn)}
}

// runRequests runs raw requests as the function does: each is checked, the
// valid ones go to the runner in one run, and the rejections are reported
// beside its results.
func runRequests(c context.Context, t testing.TB, r cleanup.Runner, raws []request.RawRequest) *request.Report {
	t.Helper()
	var (
		reqs     []request.Request
		rejected []request.Rejection
	)
	for _, raw := range raws {
		req, rej, err := raw.Check()
		if err != nil {
			rejected = append(rejected, request.Reject(raw.ID, string(raw.Action), err.Error()))
			continue
		}
		rejected = append(rejected, rej...)
		if req != nil {
			reqs = append(reqs, *req)
		}
	}
	rep := r.Run(c, reqs)
	rep.Reject(rejected...)
	return rep
}

func ptr[T any](v T) *T { return &v }
