package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDemoRunsEverySampleAndSummarises is make demo, checked: it keeps the
// README's first command working.
func TestDemoRunsEverySampleAndSummarises(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and starts processes")
	}
	t.Chdir("../..")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out strings.Builder

	if err := run(ctx, []string{"-bin", t.TempDir()}, &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}

	for _, want := range []string{
		"▶ 01-direct-dry-run.json  (trigger: direct)",
		"▶ 03-sqs-batch.json  (trigger: sqs)",
		"5 SQS message(s) returned to the queue as batch item failures",
		"▶ 07-direct-offboard.json  (trigger: direct)",
		// 08 plans the offboarding of the account moved into the
		// offboarding OU; the demo relays the plan's work items from the
		// cleanup queue to the function, as Lambda's SQS event source would.
		"▶ 08-organizations-move-account.json  (trigger: organizations)",
		"offboard of 1 account(s) in us-east-1, eu-west-1: 2 work item(s) sent to the cleanup queue; refused: none",
		"response: report with 0 result(s) and 1 plan(s)",
		"▶ cleanup queue, batch 1: 2 work item(s) of plan-",
		"work item  210987654321/us-east-1      protected 1",
		"work item  210987654321/eu-west-1      in_use 1, protected 1",
		// Another account's connections say where they are.
		"deleted    connection                  batch-jobs-bitbucket (210987654321/us-east-1)",
		"in_use     connection                  legacy-api-github (210987654321/eu-west-1)",
		// The messages handed back are named.
		"batch item failures (retried, then moved to the DLQ): 4e8a1c2b-7d5f-4e9a-b3c6-d0f1e2a3b534,",
		"Summary over 9 invocations (8 sample events, 1 SQS batch of work items relayed from the cleanup queue)",
		// Sweeps wait for the idle period: the first marks what it finds
		// free, the next says how long is left; named deletions do not.
		"decisions            deleted 8, would_delete 1, in_use 17, protected 11, too_young 4, marked 15, invalid 4",
		"marked     connection                   legacy-github           free: marked apprunner-cleanup:unused-since=",
		"marked     connection                   legacy-github           free, and unused since ",
		"deleted  connection  teardown-target",
		"123456789012/us-east-1: platform-protected, retired-worker-github, storefront-github, billing-github, legacy-github, orphan-bitbucket, fresh-github",
		"210987654321/eu-west-1 (offboarded): legacy-api-github",
		"SQS 1)",
		// Every kind is swept: each free one marked, each used one kept
		// with its services, a revision decided on its own, the
		// account's default auto scaling configuration never deleted;
		// offboarding deletes another account's free ones at once.
		"marked     vpc-connector                legacy-batch-vpc/1      free: marked",
		"in_use     vpc-connector                reporting-vpc/1         used by 1 service(s): reports-worker (PAUSED)",
		"marked     auto-scaling-configuration   storefront-scaling/1    free: marked",
		"in_use     auto-scaling-configuration   storefront-scaling/2    used by 1 service(s): catalog-api (RUNNING)",
		"protected  auto-scaling-configuration   standard-scaling/1      the account's default auto scaling configuration (IsDefault)",
		"too_young  observability-configuration  canary-tracing/1        created 1h0m0s ago",
		"deleted    vpc-connector               legacy-api-vpc/1 (210987654321/eu-west-1)",
		"deleted    auto-scaling-configuration  legacy-api-scaling/1 (210987654321/eu-west-1)",
		"other leftovers left 123456789012/us-east-1: VPC connectors legacy-batch-vpc/1, storefront-vpc/1, reporting-vpc/1;",
		// Invalid rows show their input and reason whole, the reason wrapped.
		"invalid  input       arn:aws:apprunner:eu-west-1:210987654321:connection/other-account-conn/b38a73dfc7b965992616f4109dedfb95\n",
		"(partition aws) only\n",
		"invalid  input       (empty)\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out.String())
	}
}

func TestWrapKeepsEveryWordAndLongWordsWhole(t *testing.T) {
	arn := "arn:aws:apprunner:us-east-1:123456789012:connection/a-rather-long-connection-name/0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		in    string
		width int
		want  []string
	}{
		{"", 10, []string{""}},
		{"short", 10, []string{"short"}},
		{"one two three four", 9, []string{"one two", "three", "four"}},
		{"kept  double", 20, []string{"kept  double"}},
		{"see " + arn + " now", 40, []string{"see", arn, "now"}},
	} {
		got := wrap(tc.in, tc.width)
		if !slices.Equal(got, tc.want) {
			t.Errorf("wrap(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
		if joined := strings.Join(got, " "); joined != tc.in {
			t.Errorf("wrap(%q, %d) lost text: rejoined %q", tc.in, tc.width, joined)
		}
	}
}

func TestPrintableEscapesWhatWouldBreakTheTable(t *testing.T) {
	if got, want := printable("a\tb\nc\x00d\xffé"), `a\tb\nc\x00d?é`; got != want {
		t.Errorf("printable = %q, want %q", got, want)
	}
}
