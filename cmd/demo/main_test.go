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
		"Summary over 7 invocations",
		"decisions            deleted 9, would_delete 1, in_use 8, protected 2, too_young 2, invalid 4",
		"123456789012/us-east-1: platform-protected, storefront-github, billing-github, fresh-github",
		"210987654321/eu-west-1 (offboarded): legacy-api-github",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out.String())
	}
}
