package main_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/lambdarun"
)

// decision is the part of a decision log line the test checks.
type decision struct {
	Name    string `json:"resourceName"`
	ARN     string `json:"resourceArn"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
}

// key names the decision's resource in the test's tables: its name, with
// its revision for the kinds that have them ("storefront-scaling/2"), and
// its region for an account's other than the home one (offboarding).
func (d decision) key() string {
	k := d.Name
	// arn:aws:apprunner:REGION:ACCOUNT:KIND/NAME[/REVISION]/ID
	parts := strings.SplitN(d.ARN, ":", 6)
	if len(parts) != 6 {
		return k
	}
	if fields := strings.Split(parts[5], "/"); len(fields) == 4 {
		k += "/" + fields[2]
	}
	if parts[4] != homeAccount {
		k += " @" + parts[3]
	}
	return k
}

// The function's organization settings, as the demo configures them, and
// its cleanup queue in the emulator.
const (
	homeAccount    = "123456789012"
	leavingAccount = "210987654321" // moved into the offboarding OU by 08
	memberRole     = "AppRunnerConnectionCleanup"
	cleanupQueue   = "connection-cleanup"
)

// TestBootstrapUnderRuntimeEmulator builds the bootstrap as it is deployed,
// runs it under the Lambda Runtime Interface Emulator against the App
// Runner emulator loaded with the demo data, and invokes every sample event
// in order. The emulator's in-use guard is off, so only the function's own
// checks stand between a used connection and its deletion.
//
// The emulator also answers Organizations and SQS: 08 makes the function
// plan, and send its work items to its queue in the emulator; the test
// then plays Lambda's SQS event source and hands them to the function.
func TestBootstrapUnderRuntimeEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and starts processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Registered first, so that whatever fails below, a failed start of the
	// runtime emulator included, the test shows what the emulator and the
	// function printed. The cleanups run last-in first-out: this one after
	// the runtime is closed, when nothing writes to output any more.
	var output strings.Builder
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("runtime emulator and function output:\n%s", output.String())
		}
	})

	bins, err := lambdarun.Build(ctx, "../..", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	emu := apprunnerlocal.New(apprunnerlocal.Options{
		DisableInUseGuard: true,
		// The member role of every account of the organization that is
		// not suspended; 07's offboarding role is that role too.
		AssumableRoleNames: []string{memberRole},
		Queues:             []string{cleanupQueue},
		// The first work item sent fails as an entry of its batch: the
		// planner sends it again, and the plan is still sent in full.
		SQSFailMessages: 1,
	})
	if err := emu.Load(apprunnerlocal.DemoSeed()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(emu)
	t.Cleanup(hs.Close)
	queueURL := hs.URL + "/" + homeAccount + "/" + cleanupQueue

	rt, err := lambdarun.Start(ctx, lambdarun.Options{
		Binaries: bins,
		Env: []string{
			"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=demo", "AWS_SECRET_ACCESS_KEY=demo", "AWS_SESSION_TOKEN=",
			// The emulator answers STS too: the function learns its account
			// from GetCallerIdentity and offboards through AssumeRole.
			"AWS_ENDPOINT_URL_APPRUNNER=" + hs.URL, "AWS_ENDPOINT_URL_STS=" + hs.URL, "ACCOUNT_ID=",
			"OFFBOARD_ROLE_ARNS=arn:aws:iam::210987654321:role/AppRunnerConnectionCleanup",
			// Plans: Organizations and the cleanup queue are the emulator's.
			"AWS_ENDPOINT_URL_ORGANIZATIONS=" + hs.URL, "AWS_ENDPOINT_URL_SQS=" + hs.URL, "CLEANUP_QUEUE_URL=" + queueURL,
			"ORGANIZATION_OU_IDS=ou-demo-workloads", "OFFBOARD_OU_ID=ou-demo-offboard1", "DEFAULT_REGIONS=us-east-1,eu-west-1",
			"AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_FUNCTION_TIMEOUT=60",
			// Unset is a dry run: the samples' deletions need it said.
			"DRY_RUN=false",
			// Each sample's decision at once: the idle period has its own
			// tests (internal/cleanup), and 08's work items run without
			// the offboarding delay.
			"UNUSED_FOR=0s", "OFFBOARD_DELAY=0s",
			// Every kind: the samples decide VPC connectors, auto scaling
			// and observability configurations beside the connections.
			"RESOURCE_TYPES=all",
		},
		Output: &output,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })

	const (
		storefront = "storefront-github"
		billing    = "billing-github"
		protected  = "platform-protected"
		fresh      = "fresh-github"
		// App Runner's own auto scaling configuration.
		appRunnerDefault = "DefaultConfiguration/1"
	)
	tests := []struct {
		file          string
		want          map[string]string // connection name (or ARN prefix for invalid input) -> outcome
		invalid       int
		batchFailures []string // SQS only
		// plan is the plan the event makes, whose work items are then
		// relayed from the queue to the function.
		plan *wantPlan
	}{
		{file: "01-direct-dry-run.json", want: map[string]string{"legacy-github": "would_delete", storefront: "in_use"}},
		{file: "02-custom-teardown.json", want: map[string]string{"teardown-target": "deleted", storefront: "in_use"}},
		{
			file: "03-sqs-batch.json",
			want: map[string]string{"queue-target": "deleted", "broken-link": "deleted", "pending-handshake": "deleted", billing: "in_use"},
			// A service ARN, another account's ARN, a garbage body and an
			// empty body are invalid; billing-github is in use and its
			// message asks to wait for its services.
			invalid: 4,
			batchFailures: []string{
				"4e8a1c2b-7d5f-4e9a-b3c6-d0f1e2a3b534", "b7c1d2e3-f4a5-4b6c-8d7e-9f0a1b2c3d45",
				"a2b3c4d5-e6f7-4a8b-9c0d-1e2f3a4b5c56", "e3f4a5b6-c7d8-4e9f-a0b1-c2d3e4f5a667",
				"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c78",
			},
		},
		// The retired service used App Runner's own auto scaling
		// configuration, which is never deleted.
		{file: "04-apprunner-service-deleted.json", want: map[string]string{"retired-worker-github": "deleted", appRunnerDefault: "protected"}},
		{file: "05-scheduled-sweep.json", want: map[string]string{
			"legacy-github": "deleted", "orphan-bitbucket": "deleted",
			storefront: "in_use", billing: "in_use", protected: "protected", fresh: "too_young",
			// Every other kind too: the free and old deleted (a
			// configuration's free first revision among them), the used
			// kept, by a paused service too, the young kept, and the
			// account's default and App Runner's own never deleted.
			"legacy-batch-vpc/1": "deleted", "storefront-vpc/1": "in_use", "reporting-vpc/1": "in_use",
			"burst-scaling/1": "deleted", "storefront-scaling/1": "deleted", "storefront-scaling/2": "in_use",
			"standard-scaling/1": "protected", appRunnerDefault: "protected",
			"legacy-xray/1": "deleted", "storefront-tracing/1": "in_use", "canary-tracing/1": "too_young",
		}},
		{file: "06-scheduler-sweep.json", want: map[string]string{
			storefront: "in_use", billing: "in_use", protected: "protected", fresh: "too_young",
			"storefront-vpc/1": "in_use", "reporting-vpc/1": "in_use", "storefront-scaling/2": "in_use",
			"standard-scaling/1": "protected", appRunnerDefault: "protected", "storefront-tracing/1": "in_use", "canary-tracing/1": "too_young",
		}},
		{file: "07-direct-offboard.json", want: map[string]string{
			// No minimum age when offboarding: the 2-hour-old one goes too.
			"batch-jobs-bitbucket @us-east-1": "deleted", "other-account-conn @eu-west-1": "deleted", "legacy-api-github @eu-west-1": "in_use",
			"legacy-api-vpc/1 @eu-west-1": "deleted", "legacy-api-scaling/1 @eu-west-1": "deleted",
			appRunnerDefault + " @us-east-1": "protected", appRunnerDefault + " @eu-west-1": "protected",
		}},
		{
			// 210987654321 moved into the offboarding OU: a plan of its
			// offboarding in the default regions, and no decision yet. The
			// plan names that account alone, so the suspended account in
			// the same OU is neither listed nor refused.
			file: "08-organizations-move-account.json", want: map[string]string{},
			plan: &wantPlan{
				accounts: []string{leavingAccount}, regions: []string{"us-east-1", "eu-west-1"},
				// Its work items, run after 07 offboarded the account:
				// us-east-1 has nothing left; in eu-west-1
				// legacy-api-github is still used by the RUNNING
				// legacy-api. The work item does not wait for services,
				// so its message is done, and the in-use guard being off
				// changes nothing: the function checks usage itself.
				decisions: map[string]string{
					"legacy-api-github @eu-west-1":   "in_use",
					appRunnerDefault + " @us-east-1": "protected", appRunnerDefault + " @eu-west-1": "protected",
				},
				workItems: map[string]map[string]int{
					leavingAccount + "/us-east-1": {"protected": 1},
					leavingAccount + "/eu-west-1": {"in_use": 1, "protected": 1},
				},
			},
		},
	}
	files, _ := filepath.Glob("../../events/*.json")
	if len(files) != len(tests) {
		t.Fatalf("events/ holds %d samples, the test expects %d: keep them in step", len(files), len(tests))
	}

	for _, tt := range tests {
		event, err := os.ReadFile(filepath.Join("../../events", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := rt.Invoke(ctx, event)
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		lines, err := rt.NextLines(ctx, isMetrics)
		if err != nil {
			t.Fatalf("%s: no metrics record: %v", tt.file, err)
		}
		got, invalid := decisions(t, lines)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: decisions (-want +got):\n%s", tt.file, diff)
		}
		if invalid != tt.invalid {
			t.Errorf("%s: %d invalid inputs, want %d", tt.file, invalid, tt.invalid)
		}
		checkResponse(t, tt.file, resp, tt.want, tt.batchFailures)
		if tt.plan != nil {
			relayPlan(ctx, t, rt, emu, queueURL, resp, *tt.plan)
		}
	}
	if got := emu.Stats().Outcomes["sqs:SendMessageBatch"]; got["ok"] != 2 || len(got) != 1 {
		t.Errorf("SendMessageBatch calls: %v, want two that succeeded: the batch, and its failed entry again", got)
	}

	// The emulator's state agrees with the reports, and no connection a
	// service used was deleted, though the emulator would have allowed it.
	if u := emu.UnsafeDeletions(); len(u) != 0 {
		t.Errorf("connections in use were deleted: %+v", u)
	}
	var live []string
	for _, c := range emu.Connections("123456789012", "us-east-1") {
		live = append(live, c.Name)
	}
	if diff := cmp.Diff([]string{protected, storefront, billing, fresh}, live, sortStrings); diff != "" {
		t.Errorf("connections left (-want +got):\n%s", diff)
	}
	live = nil
	for _, list := range [][]apprunnerlocal.ResourceState{
		emu.VPCConnectors(homeAccount, "us-east-1"), emu.AutoScalingConfigurations(homeAccount, "us-east-1"),
		emu.ObservabilityConfigurations(homeAccount, "us-east-1"),
	} {
		for _, r := range list {
			if r.Status == apprunnerlocal.ResourceActive {
				live = append(live, fmt.Sprintf("%s/%d", r.Name, r.Revision))
			}
		}
	}
	if diff := cmp.Diff([]string{"storefront-vpc/1", "reporting-vpc/1", appRunnerDefault, "storefront-scaling/2", "standard-scaling/1",
		"storefront-tracing/1", "canary-tracing/1"}, live, sortStrings); diff != "" {
		t.Errorf("other leftovers left (-want +got):\n%s", diff)
	}
	live = nil
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		for _, c := range emu.Connections("210987654321", region) {
			live = append(live, c.Name)
		}
	}
	if diff := cmp.Diff([]string{"legacy-api-github"}, live); diff != "" {
		t.Errorf("connections left in the offboarded account (-want +got):\n%s", diff)
	}

	// A payload of no known form is an error naming what was received.
	_, err = rt.Invoke(ctx, []byte(`{"Records":[{"EventSource":"aws:sns","Sns":{"Message":"hi"}}]}`))
	var fe *lambdarun.FunctionError
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "sns") {
		t.Errorf("SNS event: error %v, want a function error naming the SNS event", err)
	}
}

// wantPlan is a plan an event makes, and what its work items decide.
type wantPlan struct {
	accounts, regions []string
	decisions         map[string]string         // connection name -> outcome, over all work items
	workItems         map[string]map[string]int // account/region -> non-zero counts
}

// relayPlan checks the plan in an invocation's response and the work
// items it sent to the cleanup queue, then plays Lambda's SQS event
// source: it hands the work items to the function as one SQS batch and
// checks what they decide.
func relayPlan(ctx context.Context, t *testing.T, rt *lambdarun.Runtime, emu *apprunnerlocal.Server, queueURL string, resp []byte, want wantPlan) {
	t.Helper()
	var rep struct {
		Plans []struct {
			PlanID    string            `json:"planId"`
			Action    string            `json:"action"`
			DryRun    bool              `json:"dryRun"`
			Accounts  []string          `json:"accounts"`
			Regions   []string          `json:"regions"`
			WorkItems int               `json:"workItems"`
			Refused   []json.RawMessage `json:"refused"`
			Error     string            `json:"error"`
		} `json:"plans"`
	}
	if err := json.Unmarshal(resp, &rep); err != nil || len(rep.Plans) != 1 {
		t.Fatalf("plan response %s: %v; want one plan", resp, err)
	}
	plan := rep.Plans[0]
	if plan.Action != "offboard" || plan.DryRun || plan.Error != "" || len(plan.Refused) != 0 ||
		!slices.Equal(plan.Accounts, want.accounts) || !slices.Equal(plan.Regions, want.regions) ||
		plan.WorkItems != len(want.accounts)*len(want.regions) || !strings.HasPrefix(plan.PlanID, "plan-") {
		t.Errorf("plan %+v, want an offboarding of %v in %v, nothing refused", plan, want.accounts, want.regions)
	}

	// The work items on the queue: one per account and region.
	msgs := emu.TakeMessages(queueURL, 10)
	var items []string
	for _, m := range msgs {
		var item map[string]any
		if err := json.Unmarshal([]byte(m.Body), &item); err != nil {
			t.Fatalf("work item %s: %v", m.Body, err)
		}
		if item["action"] != "offboard" || item["planId"] != plan.PlanID || item["dryRun"] != false || len(item) != 5 {
			t.Errorf("work item %s, want an offboarding of plan %s, stamped as a real run, and nothing else", m.Body, plan.PlanID)
		}
		items = append(items, fmt.Sprint(item["accountId"], "/", item["region"]))
	}
	if diff := cmp.Diff(slices.Sorted(maps.Keys(want.workItems)), items, sortStrings); diff != "" {
		t.Errorf("work items on the queue (-want +got):\n%s", diff)
	}
	if rest := emu.TakeMessages(queueURL, 0); len(rest) != 0 {
		t.Errorf("%d more messages on the queue", len(rest))
	}

	event, err := json.Marshal(apprunnerlocal.LambdaSQSEvent(msgs, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = rt.Invoke(ctx, event)
	if err != nil {
		t.Fatalf("work items: %v", err)
	}
	lines, err := rt.NextLines(ctx, isMetrics)
	if err != nil {
		t.Fatalf("work items: no metrics record: %v", err)
	}
	got, invalid := decisions(t, lines)
	if diff := cmp.Diff(want.decisions, got); diff != "" || invalid != 0 {
		t.Errorf("work items: decisions (-want +got):\n%s%d invalid", diff, invalid)
	}
	runs := map[string]map[string]int{}
	for _, l := range lines {
		var w struct {
			Message string         `json:"message"`
			PlanID  string         `json:"planId"`
			Account string         `json:"account"`
			Region  string         `json:"region"`
			Counts  map[string]int `json:"counts"`
		}
		if json.Unmarshal([]byte(l), &w) != nil || w.Message != "work item summary" {
			continue
		}
		if w.PlanID != plan.PlanID {
			t.Errorf("work item summary of plan %q, want %q", w.PlanID, plan.PlanID)
		}
		counts := map[string]int{}
		for o, n := range w.Counts {
			if n != 0 {
				counts[o] = n
			}
		}
		runs[w.Account+"/"+w.Region] = counts
	}
	if diff := cmp.Diff(want.workItems, runs); diff != "" {
		t.Errorf("work item summaries (-want +got):\n%s", diff)
	}
	var r events.SQSEventResponse
	if err := json.Unmarshal(resp, &r); err != nil || len(r.BatchItemFailures) != 0 {
		t.Errorf("work items: response %s (%v), want every message done", resp, err)
	}
}

// isMetrics reports whether line is an invocation's metrics record of
// totals, its last line (the records by resource type come before it).
func isMetrics(line string) bool {
	var rec struct {
		Message string `json:"message"`
		AWS     *struct {
			CloudWatchMetrics []json.RawMessage
		} `json:"_aws"`
	}
	return json.Unmarshal([]byte(line), &rec) == nil && rec.Message == "metrics" && rec.AWS != nil && len(rec.AWS.CloudWatchMetrics) > 0
}

// decisions collects the decision log lines of one invocation.
func decisions(t *testing.T, lines []string) (byName map[string]string, invalid int) {
	t.Helper()
	byName = map[string]string{}
	for _, l := range lines {
		var d struct {
			Message string `json:"message"`
			decision
		}
		if json.Unmarshal([]byte(l), &d) != nil || d.Message != "decision" {
			continue
		}
		if d.Outcome == "invalid" {
			invalid++
			if d.Reason == "" {
				t.Errorf("invalid input %q logged without a reason", d.ARN)
			}
			continue
		}
		if _, dup := byName[d.key()]; dup {
			t.Errorf("%s decided twice in one invocation", d.key())
		}
		byName[d.key()] = d.Outcome
	}
	return byName, invalid
}

func checkResponse(t *testing.T, file string, resp []byte, want map[string]string, batchFailures []string) {
	t.Helper()
	if batchFailures != nil {
		var r events.SQSEventResponse
		if err := json.Unmarshal(resp, &r); err != nil {
			t.Fatalf("%s: response %s: %v", file, resp, err)
		}
		var ids []string
		for _, f := range r.BatchItemFailures {
			ids = append(ids, f.ItemIdentifier)
		}
		if diff := cmp.Diff(batchFailures, ids, sortStrings); diff != "" {
			t.Errorf("%s: batch item failures (-want +got):\n%s", file, diff)
		}
		return
	}
	var rep struct {
		Results []decision     `json:"results"`
		Counts  map[string]int `json:"counts"`
	}
	if err := json.Unmarshal(resp, &rep); err != nil {
		t.Fatalf("%s: response %s: %v", file, resp, err)
	}
	got := map[string]string{}
	for _, r := range rep.Results {
		got[r.key()] = r.Outcome
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: response results (-want +got):\n%s", file, diff)
	}
}

var sortStrings = cmpopts.SortSlices(func(a, b string) bool { return a < b })
