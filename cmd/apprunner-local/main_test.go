package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

func TestRunServesDemoDataAndStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-demo", "-accounts", "OTHER=210987654321",
			"-delegated-administrators", "210987654321", "-assumable-role-names", "AppRunnerConnectionCleanup",
			"-queues", "cleanup-work"}, pw, io.Discard)
		pw.Close()
	}()

	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the ready line: %v", err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "apprunner-local listening on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") || strings.HasSuffix(url, ":0") {
		t.Fatalf("ready line = %q, want apprunner-local listening on http://127.0.0.1:PORT", line)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()

	org := organizations.New(organizations.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url), HTTPClient: apprunnerlocal.HTTPClient(),
		Credentials: credentials.NewStaticCredentialsProvider("OTHER", "SECRET", ""),
	})
	// The demo's 210987654321 is a member account, made a delegated
	// administrator by the flag.
	if roots, err := org.ListRoots(ctx, &organizations.ListRootsInput{}); err != nil || len(roots.Roots) != 1 {
		t.Errorf("ListRoots as a delegated administrator = %v, %v; want the demo's root", roots, err)
	}

	client := apprunnerlocal.NewClient(url, "eu-west-1", "OTHER")
	out, err := client.ListConnections(ctx, &apprunner.ListConnectionsInput{})
	if err != nil {
		t.Fatalf("ListConnections: %v", err)
	}
	var names []string
	for _, c := range out.ConnectionSummaryList {
		names = append(names, aws.ToString(c.ConnectionName))
	}
	if want := []string{"legacy-api-github", "other-account-conn"}; !slices.Equal(names, want) {
		t.Errorf("the other account's connections = %q, want %q", names, want)
	}

	// The queue flag's queue, in the caller's account.
	queue := sqs.New(sqs.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url), HTTPClient: apprunnerlocal.HTTPClient(),
		Credentials: credentials.NewStaticCredentialsProvider("OTHER", "SECRET", ""),
	})
	q, err := queue.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("cleanup-work")})
	if err != nil || aws.ToString(q.QueueUrl) != url+"/210987654321/cleanup-work" {
		t.Fatalf("GetQueueUrl = %v, %v; want %s/210987654321/cleanup-work", q, err, url)
	}
	if _, err := queue.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("hello")}); err != nil {
		t.Errorf("SendMessage: %v", err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v after cancel, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after its context was cancelled")
	}
}

// TestPrintEnvExportsWhatPointsTheSDKHere: the lines a newcomer pastes to
// try the command name the emulator's address for every endpoint.
func TestPrintEnvExportsWhatPointsTheSDKHere(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-demo", "-print-env", "-region", "eu-west-1"}, pw, io.Discard)
		pw.Close()
	}()
	r := bufio.NewReader(pr)
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url, _ := strings.CutPrefix(strings.TrimSpace(line), "apprunner-local listening on ")
	exports := map[string]string{}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if k, v, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "export "), "="); ok && strings.HasPrefix(line, "export ") {
			exports[k] = v
		}
		if strings.HasPrefix(line, "# then") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	for _, k := range []string{"AWS_ENDPOINT_URL_APPRUNNER", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_ORGANIZATIONS", "AWS_ENDPOINT_URL_SQS"} {
		if exports[k] != url {
			t.Errorf("%s=%q, want %q", k, exports[k], url)
		}
	}
	if exports["AWS_REGION"] != "eu-west-1" || exports["AWS_ACCESS_KEY_ID"] == "" || exports["AWS_PROFILE"] != "''" {
		t.Errorf("exports %v", exports)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	tests := [][]string{
		{"-rate-limit", "ListServices=fast"},
		{"-rate-limit", "ListServices=1:0"},
		{"-rate-limit", "organisations:*=10:10"},
		{"-accounts", "AKID=12"},
		{"-assumable-role-names", "Good,bad name"},
		{"-delegated-administrators", "12345"},
		{"-fault-rate", "2"},
		{"-queues", "ok,not/ok"},
		{"-sqs-fail-messages", "-1"},
		{"-max-message-size", "100"},
		{"-seed", "does-not-exist.json"},
		{"-no-such-flag"},
		{"extra"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			err := run(context.Background(), append([]string{"-addr", "127.0.0.1:0"}, args...), io.Discard, io.Discard)
			if err == nil {
				t.Errorf("run(%q) = nil, want an error", args)
			}
		})
	}
	if err := run(context.Background(), []string{"-h"}, io.Discard, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("run(-h) = %v, want flag.ErrHelp", err)
	}
}

func TestParseRateLimits(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]apprunnerlocal.RateLimit
	}{
		{"", nil},
		{"ListServices=5:10, DeleteConnection=0.5:2", map[string]apprunnerlocal.RateLimit{
			"ListServices":     {PerSecond: 5, Burst: 10},
			"DeleteConnection": {PerSecond: 0.5, Burst: 2},
		}},
		// An Organizations key keeps its colon: the rate is cut after "=".
		{"organizations:ListParents=2:5", map[string]apprunnerlocal.RateLimit{
			"organizations:ListParents": {PerSecond: 2, Burst: 5},
		}},
		{"organizations:*=10:10,ListServices=1:1", map[string]apprunnerlocal.RateLimit{
			apprunnerlocal.OrganizationsRateLimitKey: {PerSecond: 10, Burst: 10},
			"ListServices":                           {PerSecond: 1, Burst: 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseRateLimits(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("parseRateLimits (-got +want):\n%s", diff)
			}
		})
	}
}

// TestParseRateLimitsRefusesKeysThatThrottleNothing: a misspelt key
// would leave a run unthrottled without a word.
func TestParseRateLimitsRefusesKeysThatThrottleNothing(t *testing.T) {
	for _, in := range []string{
		"ListService=1:1",              // no such operation
		"organisations:*=10:10",        // misspelt service
		"organizations:ListParent=1:1", // no such Organizations operation
		"ListParents=1:1",              // an Organizations operation without its prefix
		"*=10:10",                      // no service
		"sqs:SendMessageBatch=1:1",     // SQS is not throttled
		"organizations:*=10",           // no burst
		"organizations:*:10:10",        // no "="
		"organizations:*=10:0",         // a burst of none
	} {
		t.Run(in, func(t *testing.T) {
			if got, err := parseRateLimits(in); err == nil {
				t.Errorf("parseRateLimits(%q) = %v, want an error", in, got)
			}
		})
	}
}

// TestRunThrottlesOrganizationsAsAWhole: -rate-limit organizations:*
// reaches the server, and holds calls of different operations to one
// bucket.
func TestRunThrottlesOrganizationsAsAWhole(t *testing.T) {
	url := startRun(t, "-demo", "-rate-limit", "organizations:*=0.001:2")
	ctx := context.Background()
	org := organizations.New(organizations.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url), HTTPClient: apprunnerlocal.HTTPClient(), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
	if _, err := org.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{}); err != nil {
		t.Fatalf("DescribeOrganization: %v", err)
	}
	if _, err := org.ListRoots(ctx, &organizations.ListRootsInput{}); err != nil {
		t.Fatalf("ListRoots: %v", err)
	}
	_, err := org.ListAccounts(ctx, &organizations.ListAccountsInput{})
	var tooMany *orgtypes.TooManyRequestsException
	if !errors.As(err, &tooMany) {
		t.Errorf("a third Organizations call past a burst of 2: %v, want TooManyRequestsException", err)
	}
}

// startRun runs the command with args on a free loopback port until the
// test ends, and returns its base URL.
func startRun(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the ready line: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "apprunner-local listening on ")
	if !ok {
		t.Fatalf("ready line = %q", line)
	}
	return url
}

func TestParseList(t *testing.T) {
	got, err := parseList("-assumable-role-names", "AppRunnerConnectionCleanup, Other+Role", roleNameRE)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, []string{"AppRunnerConnectionCleanup", "Other+Role"}); diff != "" {
		t.Errorf("parseList (-got +want):\n%s", diff)
	}
	if got, err := parseList("-delegated-administrators", "", accountIDRE); got != nil || err != nil {
		t.Errorf("parseList(\"\") = %q, %v; want nil, nil", got, err)
	}
}
