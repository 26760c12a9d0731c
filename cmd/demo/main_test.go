package main

import (
	"context"
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
		"▶ 07-custom-offboard.json  (trigger: custom)",
		// 08 plans the offboarding of the account moved into the
		// offboarding OU; the demo relays the plan's work items from the
		// cleanup queue to the function, as Lambda's SQS event source would.
		"▶ 08-organizations-move-account.json  (trigger: organizations)",
		"offboard of 1 account(s) in us-east-1, eu-west-1: 2 work item(s) sent to the cleanup queue; refused: none",
		"response: report with 0 result(s) and 1 plan(s)",
		"▶ cleanup queue, batch 1: 2 work item(s) of plan-",
		"work item  210987654321/us-east-1  no connection left to decide",
		"work item  210987654321/eu-west-1  in_use 1",
		"Summary over 9 invocations (8 sample events, 1 SQS batch of work items relayed from the cleanup queue)",
		"decisions            deleted 9, would_delete 1, in_use 9, protected 2, too_young 2, invalid 4",
		"123456789012/us-east-1: platform-protected, storefront-github, billing-github, fresh-github",
		"210987654321/eu-west-1 (offboarded): legacy-api-github",
		"SQS 1)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out.String())
	}
}
