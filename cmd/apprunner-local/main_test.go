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

func TestRunRejectsBadFlags(t *testing.T) {
	tests := [][]string{
		{"-rate-limit", "ListServices=fast"},
		{"-rate-limit", "ListServices=1:0"},
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
	got, err := parseRateLimits("ListServices=5:10, DeleteConnection=0.5:2")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]apprunnerlocal.RateLimit{
		"ListServices":     {PerSecond: 5, Burst: 10},
		"DeleteConnection": {PerSecond: 0.5, Burst: 2},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("parseRateLimits (-got +want):\n%s", diff)
	}
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
