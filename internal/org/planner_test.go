package org_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/org"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

const queueURL = "https://sqs.us-east-1.amazonaws.com/111111111111/cleanup"

// recordingQueue is an SQS queue that records every SendMessageBatch, and
// reports entries failed as a test says.
type recordingQueue struct {
	mu       sync.Mutex
	calls    [][]string // the bodies of each call
	accepted []string   // every body accepted
	sent     map[string]int
	delays   []int32 // every entry's DelaySeconds

	// fail says whether the entry with body fails the nth time (from 0)
	// it is sent.
	fail func(body string, n int) bool
	// err fails every call.
	err error
	// afterCall runs after each call.
	afterCall func()
}

func (q *recordingQueue) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.afterCall != nil {
		defer q.afterCall()
	}
	var bodies []string
	ids := map[string]bool{}
	for _, e := range in.Entries {
		bodies = append(bodies, aws.ToString(e.MessageBody))
		q.delays = append(q.delays, e.DelaySeconds)
		ids[aws.ToString(e.Id)] = true
	}
	q.calls = append(q.calls, bodies)
	// SQS's own checks.
	switch {
	case aws.ToString(in.QueueUrl) != queueURL:
		return nil, &types.QueueDoesNotExist{Message: aws.String(aws.ToString(in.QueueUrl))}
	case len(in.Entries) == 0:
		return nil, &types.EmptyBatchRequest{}
	case len(in.Entries) > 10:
		return nil, &types.TooManyEntriesInBatchRequest{}
	case len(ids) != len(in.Entries):
		return nil, &types.BatchEntryIdsNotDistinct{}
	case q.err != nil:
		return nil, q.err
	}
	if q.sent == nil {
		q.sent = map[string]int{}
	}
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		body := aws.ToString(e.MessageBody)
		n := q.sent[body]
		q.sent[body]++
		if q.fail != nil && q.fail(body, n) {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError"), Message: aws.String("try again")})
			continue
		}
		q.accepted = append(q.accepted, body)
		out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id, MessageId: aws.String(fmt.Sprint(len(q.accepted)))})
	}
	return out, nil
}

// batchSizes returns the size of each call, sorted.
func (q *recordingQueue) batchSizes() []int {
	q.mu.Lock()
	defer q.mu.Unlock()
	var sizes []int
	for _, c := range q.calls {
		sizes = append(sizes, len(c))
	}
	slices.Sort(sizes)
	return sizes
}

// wireWorkItem is a request as the trigger decodes it: the same fields,
// with the same names.
type wireWorkItem struct {
	Action                *string  `json:"action"`
	ConnectionARNs        []string `json:"connectionArns"`
	DryRun                *bool    `json:"dryRun"`
	WaitForServices       *bool    `json:"waitForServices"`
	ServiceARN            *string  `json:"serviceArn"`
	AccountID             *string  `json:"accountId"`
	RoleARN               *string  `json:"roleArn"`
	Regions               []string `json:"regions"`
	OrganizationalUnitIDs []string `json:"organizationalUnitIds"`
	AccountIDs            []string `json:"accountIds"`
	Region                *string  `json:"region"`
	PlanID                *string  `json:"planId"`
	AfterUnusedFor        *string  `json:"afterUnusedFor"`
	ResourceTypes         []string `json:"resourceTypes"`
}

// decodeWorkItem decodes a body strictly, as the trigger does (no
// unknown field, no null), and checks it with request.RawRequest.Check: it
// must be a valid work item.
func decodeWorkItem(t *testing.T, body string) request.Request {
	t.Helper()
	if strings.Contains(body, "null") {
		t.Fatalf("work item %s has a null", body)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.DisallowUnknownFields()
	var w wireWorkItem
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("decode work item %s: %v", body, err)
	}
	if w.Action == nil {
		t.Fatalf("work item %s has no action", body)
	}
	raw := request.RawRequest{
		ID: "message-1", Action: request.Action(*w.Action), ConnectionARNs: w.ConnectionARNs,
		DryRun: w.DryRun != nil && *w.DryRun, DryRunOmitted: w.DryRun == nil, WaitForServices: w.WaitForServices != nil && *w.WaitForServices,
		ServiceARN: aws.ToString(w.ServiceARN), AccountID: w.AccountID, RoleARN: w.RoleARN, Regions: w.Regions,
		OrganizationalUnitIDs: w.OrganizationalUnitIDs, AccountIDs: w.AccountIDs, Region: w.Region, PlanID: w.PlanID,
		AfterUnusedFor: w.AfterUnusedFor, ResourceTypes: w.ResourceTypes,
	}
	// The dry run is always stamped: one that says nothing runs dry.
	// waitForServices false is the default: it is left out.
	if w.DryRun == nil {
		t.Errorf("work item %s does not say dryRun: want it stamped", body)
	}
	if w.WaitForServices != nil && !*w.WaitForServices {
		t.Errorf("work item %s says waitForServices false: want the field left out", body)
	}
	req, rejected, err := raw.Check()
	if err != nil || len(rejected) > 0 || req == nil || req.WorkItem == nil {
		t.Fatalf("work item %s: Check = %+v, %v, %v; want a work item", body, req, rejected, err)
	}
	return *req
}

// workItemKeys decodes every body and returns "ACCOUNT REGION" of each,
// sorted, checking each against the plan and the request.
func workItemKeys(t *testing.T, bodies []string, planID string, want request.Request) []string {
	t.Helper()
	var keys []string
	for _, b := range bodies {
		req := decodeWorkItem(t, b)
		if req.WorkItem.PlanID != planID || req.Action != want.Action || req.DryRun != want.DryRun || req.WaitForServices != want.WaitForServices {
			t.Errorf("work item %s: plan %s, action %s, dry run %t, wait %t; want %s, %s, %t, %t", b,
				req.WorkItem.PlanID, req.Action, req.DryRun, req.WaitForServices, planID, want.Action, want.DryRun, want.WaitForServices)
		}
		keys = append(keys, req.WorkItem.AccountID+" "+req.WorkItem.Region)
	}
	slices.Sort(keys)
	return keys
}

// product returns "ACCOUNT REGION" of every account and region, sorted.
func product(accounts, regions []string) []string {
	var out []string
	for _, a := range accounts {
		for _, r := range regions {
			out = append(out, a+" "+r)
		}
	}
	slices.Sort(out)
	return out
}

func planRequest(action request.Action, ous, accounts, regions []string) request.Request {
	return request.Request{ID: "request-1", Action: action, Plan: &request.Plan{OrganizationalUnitIDs: ous, AccountIDs: accounts, Regions: regions}}
}

// newPlanner returns a planner over the test organization and queue, with
// plan IDs plan-test-1, plan-test-2...: it sweeps below the allowed OUs
// and offboards below Teams.
func newPlanner(t *testing.T, queue org.Queue, defaultRegions []string) *org.Planner {
	t.Helper()
	hs := newEmulator(t, apprunnerlocal.Options{})
	p := org.NewPlanner(org.NewDirectory(newOrganizations(hs.URL, homeKey), org.Settings{Home: home, SweepOUs: allowed, OffboardOU: teams}),
		queue, queueURL, defaultRegions)
	n := 0
	p.NewPlanID = func() string { n++; return fmt.Sprintf("plan-test-%d", n) }
	return p
}

func TestPlan(t *testing.T) {
	teams25 := teamsAccounts()[:25]
	tests := []struct {
		name           string
		req            request.Request
		defaultRegions []string
		wantAccounts   []string
		wantRegions    []string
		wantRefused    []request.Refusal
		wantBatches    []int
		// plannerDryRun is the function's DRY_RUN.
		plannerDryRun bool
	}{
		{
			name:         "25 work items in batches of at most 10",
			req:          planRequest(request.ActionSweep, nil, teams25, []string{"us-east-1"}),
			wantAccounts: teams25, wantRegions: []string{"us-east-1"}, wantBatches: []int{5, 10, 10},
		},
		{
			name: "an offboarding, dry run, waiting for services, over OUs and accounts",
			req: func() request.Request {
				r := planRequest(request.ActionOffboard, []string{teamOU(1), sandbox}, []string{home, unknown}, []string{"eu-west-1", "ap-northeast-1"})
				r.DryRun, r.WaitForServices = true, true
				return r
			}(),
			wantAccounts: []string{teamOUAccount(1)}, wantRegions: []string{"eu-west-1", "ap-northeast-1"}, wantBatches: []int{2},
			wantRefused: []request.Refusal{
				{Subject: home, Reason: "needs OFFBOARD_HOME_ACCOUNT=true"},
				{Subject: unknown, Reason: "not in the organization"},
				{Subject: sandbox, Reason: "neither the offboarding OU"},
			},
		},
		{
			name:         "an offboarding reaches no sweep OU",
			req:          planRequest(request.ActionOffboard, []string{workloads, big}, []string{active}, []string{"us-east-1"}),
			wantAccounts: []string{}, wantRegions: []string{"us-east-1"},
			wantRefused: []request.Refusal{
				{Subject: active, Reason: "neither the offboarding OU"},
				{Subject: workloads, Reason: "neither the offboarding OU"},
				{Subject: big, Reason: "neither the offboarding OU"},
			},
		},
		{
			name:         "a plan of a function in dry-run mode is stamped dry run",
			req:          planRequest(request.ActionOffboard, []string{teamOU(2)}, nil, []string{"us-east-1"}),
			wantAccounts: []string{teamOUAccount(2)}, wantRegions: []string{"us-east-1"}, wantBatches: []int{1},
			plannerDryRun: true,
		},
		{
			name:           "the default regions",
			req:            planRequest(request.ActionSweep, []string{teams}, nil, nil),
			defaultRegions: []string{"eu-west-1", "us-east-1"},
			wantAccounts:   teamsAccounts(), wantRegions: []string{"eu-west-1", "us-east-1"}, wantBatches: []int{2, 10, 10, 10, 10, 10, 10, 10, 10, 10},
		},
		{
			name:           "a default region without App Runner",
			req:            planRequest(request.ActionSweep, nil, []string{active}, nil),
			defaultRegions: []string{"sa-east-1", "eu-west-1"},
			wantAccounts:   []string{active}, wantRegions: []string{"eu-west-1"}, wantBatches: []int{1},
			wantRefused: []request.Refusal{{Subject: "sa-east-1", Reason: "no App Runner"}},
		},
		{
			name:         "every account refused",
			req:          planRequest(request.ActionSweep, []string{sandbox}, []string{suspended}, []string{"us-east-1"}),
			wantAccounts: []string{}, wantRegions: []string{"us-east-1"},
			wantRefused: []request.Refusal{
				{Subject: suspended, Reason: "SUSPENDED"},
				{Subject: sandbox, Reason: "neither one of the sweep OUs"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &recordingQueue{}
			p := newPlanner(t, q, tt.defaultRegions)
			p.DryRun = tt.plannerDryRun
			sum := p.Plan(context.Background(), tt.req)
			want := request.PlanSummary{
				RequestID: "request-1", PlanID: "plan-test-1", Action: tt.req.Action, DryRun: tt.req.DryRun || tt.plannerDryRun,
				Accounts: tt.wantAccounts, Regions: tt.wantRegions, WorkItems: len(tt.wantAccounts) * len(tt.wantRegions),
			}
			// The summary marshals as arrays, never null.
			b, err := json.Marshal(sum)
			if err != nil || strings.Contains(string(b), "null") {
				t.Errorf("summary JSON %s, %v: want no null", b, err)
			}
			refused := sum.Refused
			sum.Refused = nil
			if diff := cmp.Diff(want, sum); diff != "" {
				t.Errorf("Plan summary (-want +got):\n%s", diff)
			}
			if !matchRefusals(refused, tt.wantRefused) {
				t.Errorf("Plan refused\n%v\nwant (reasons in part)\n%v", refused, tt.wantRefused)
			}
			if diff := cmp.Diff(tt.wantBatches, q.batchSizes()); diff != "" {
				t.Errorf("batch sizes (-want +got):\n%s", diff)
			}
			stamped := tt.req
			stamped.DryRun = want.DryRun
			got := workItemKeys(t, q.accepted, "plan-test-1", stamped)
			if diff := cmp.Diff(product(tt.wantAccounts, tt.wantRegions), got); diff != "" {
				t.Errorf("work items sent (-want +got):\n%s", diff)
			}
		})
	}
}

// failing returns a fail function for recordingQueue: the entries of the
// first n accounts fail their first times sends.
func failing(accounts []string, times int) func(string, int) bool {
	return func(body string, n int) bool {
		for _, a := range accounts {
			if strings.Contains(body, `"accountId":"`+a+`"`) {
				return n < times
			}
		}
		return false
	}
}

func TestPlanSendFailures(t *testing.T) {
	accounts := teamsAccounts()[:25]
	tests := []struct {
		name          string
		queue         *recordingQueue
		wantSent      int
		wantError     string // the start of Error
		wantSendCount int    // SendMessageBatch calls
	}{
		{
			name:     "entries that fail once are sent again",
			queue:    &recordingQueue{fail: failing(accounts[3:10], 1)},
			wantSent: 25, wantSendCount: 4, // 10 (7 failed), 10, 5, then the 7 again
		},
		{
			name:     "entries that fail in several batches are sent again, each with its batch",
			queue:    &recordingQueue{fail: failing([]string{accounts[0], accounts[12], accounts[24]}, 1)},
			wantSent: 25, wantSendCount: 6,
		},
		{
			name:      "entries that fail twice are counted",
			queue:     &recordingQueue{fail: failing(accounts[:4], 2)},
			wantSent:  21,
			wantError: "4 of 25 work items were not sent (InternalError: try again): retry the plan",
			// 10 (4 failed), 10, 5, then the 4 again.
			wantSendCount: 4,
		},
		{
			name:          "calls that fail",
			queue:         &recordingQueue{err: errors.New("connection reset")},
			wantSent:      0,
			wantError:     "25 of 25 work items were not sent (connection reset): retry the plan",
			wantSendCount: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := planRequest(request.ActionSweep, nil, accounts, []string{"us-east-1"})
			sum := newPlanner(t, tt.queue, nil).Plan(context.Background(), req)
			if sum.WorkItems != tt.wantSent || !strings.HasPrefix(sum.Error, tt.wantError) || (tt.wantError == "") != (sum.Error == "") {
				t.Errorf("Plan = %d work items, error %q; want %d, %q", sum.WorkItems, sum.Error, tt.wantSent, tt.wantError)
			}
			if got := len(tt.queue.calls); got != tt.wantSendCount {
				t.Errorf("SendMessageBatch called %d times, want %d", got, tt.wantSendCount)
			}
			// Each work item accepted once, and valid.
			got := workItemKeys(t, tt.queue.accepted, "plan-test-1", req)
			if len(got) != sum.WorkItems || len(slices.Compact(slices.Clone(got))) != len(got) {
				t.Errorf("accepted %d work items (%d distinct), summary says %d", len(got), len(slices.Compact(slices.Clone(got))), sum.WorkItems)
			}
			// Sent at most twice each.
			for body, n := range tt.queue.sent {
				if n > 2 {
					t.Errorf("%s sent %d times, want at most 2", body, n)
				}
			}
		})
	}
}

// TestPlanCanceled: a plan whose context ends while it sends stops
// sending and says how many work items were not sent.
func TestPlanCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	q := &recordingQueue{afterCall: cancel}
	req := planRequest(request.ActionSweep, []string{teams}, nil, []string{"us-east-1", "eu-west-1", "ap-southeast-2"})
	sum := newPlanner(t, q, nil).Plan(ctx, req)
	total := len(teamsAccounts()) * 3
	if sum.WorkItems >= total || len(q.accepted) != sum.WorkItems {
		t.Errorf("Plan sent %d work items, queue accepted %d; want fewer than %d, the same", sum.WorkItems, len(q.accepted), total)
	}
	if want := fmt.Sprintf("%d of %d work items were not sent (context canceled)", total-sum.WorkItems, total); !strings.HasPrefix(sum.Error, want) {
		t.Errorf("Plan error %q, want it to start with %q", sum.Error, want)
	}
}

func TestPlanResolveFails(t *testing.T) {
	hs := newEmulator(t, apprunnerlocal.Options{FaultRate: 1})
	q := &recordingQueue{}
	p := org.NewPlanner(org.NewDirectory(newOrganizations(hs.URL, homeKey), org.Settings{Home: home, SweepOUs: allowed}), q, queueURL, []string{"us-east-1"})
	sum := p.Plan(context.Background(), planRequest(request.ActionSweep, []string{teams}, nil, nil))
	if !strings.HasPrefix(sum.Error, "resolve the plan's accounts with AWS Organizations: ") || sum.WorkItems != 0 || len(q.calls) != 0 {
		t.Errorf("Plan = error %q, %d work items, %d calls; want a resolve error and nothing sent", sum.Error, sum.WorkItems, len(q.calls))
	}
	if !regexp.MustCompile(`^plan-[0-9a-f]{16}$`).MatchString(sum.PlanID) {
		t.Errorf("plan ID %q, want plan- and 16 hexadecimal digits", sum.PlanID)
	}
	if again := p.Plan(context.Background(), planRequest(request.ActionSweep, nil, []string{home}, nil)); again.PlanID == sum.PlanID || again.Error != "" {
		t.Errorf("second plan: ID %q (first %q), error %q; want a new ID and no error", again.PlanID, sum.PlanID, again.Error)
	}
}

func TestPlanNeedsAPlan(t *testing.T) {
	q := &recordingQueue{}
	sum := newPlanner(t, q, []string{"us-east-1"}).Plan(context.Background(), request.Request{ID: "request-1", Action: request.ActionSweep})
	if sum.Error == "" || sum.WorkItems != 0 || len(q.calls) != 0 {
		t.Errorf("Plan of a request without a plan = error %q, %d work items, %d calls; want an error and nothing sent", sum.Error, sum.WorkItems, len(q.calls))
	}
}

// TestPlanDelaysItsWorkItemsAndCarriesTheIdlePeriod: a plan with a delay
// (an offboarding a MoveAccount started) sends every work item with it,
// at most SQS's 15 minutes, and says so; its idle period goes into every
// work item, which the trigger reads back, and so do the resource types it
// names.
func TestPlanDelaysItsWorkItemsAndCarriesTheIdlePeriod(t *testing.T) {
	for _, tt := range []struct {
		delay     time.Duration
		want      int32
		wantDelay string
	}{{15 * time.Minute, 900, "15m0s"}, {time.Hour, 900, "15m0s"}, {90 * time.Second, 90, "1m30s"}, {0, 0, ""}} {
		q := &recordingQueue{}
		p := newPlanner(t, q, nil)
		req := planRequest(request.ActionSweep, nil, []string{active}, []string{"us-east-1", "eu-west-1"})
		req.Delay, req.AfterUnusedFor = tt.delay, 36*time.Hour
		req.Kinds = []request.Kind{request.KindConnection, request.KindAutoScaling}
		sum := p.Plan(context.Background(), req)
		if sum.Error != "" || sum.Delay != tt.wantDelay {
			t.Errorf("delay %s: summary delay %q, error %q; want %q", tt.delay, sum.Delay, sum.Error, tt.wantDelay)
		}
		if diff := cmp.Diff([]int32{tt.want, tt.want}, q.delays); diff != "" {
			t.Errorf("delay %s: DelaySeconds (-want +got):\n%s", tt.delay, diff)
		}
		for _, b := range q.accepted {
			var w struct {
				AfterUnusedFor *string `json:"afterUnusedFor"`
			}
			if err := json.Unmarshal([]byte(b), &w); err != nil || w.AfterUnusedFor == nil {
				t.Fatalf("work item %s carries no afterUnusedFor", b)
			}
			if d, err := request.ParseAge(*w.AfterUnusedFor); err != nil || d != 36*time.Hour {
				t.Errorf("work item's afterUnusedFor %q reads back as %s, %v; want 36h", *w.AfterUnusedFor, d, err)
			}
			if got := decodeWorkItem(t, b).Kinds; !slices.Equal(got, req.Kinds) {
				t.Errorf("work item %s reads back resource types %v, want %v", b, got, req.Kinds)
			}
		}
	}
}
