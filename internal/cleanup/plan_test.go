package cleanup_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

func TestPlansAndWorkItemsAreCheckedOnce(t *testing.T) {
	const ou = "ou-abcd-12345678"
	tests := []struct {
		name    string
		raw     request.RawRequest
		want    *request.Request // nil: rejected whole
		errPart string
	}{
		{"a plan of OUs and accounts", request.RawRequest{Action: request.ActionOffboard, OrganizationalUnitIDs: []string{ou, " " + ou},
			AccountIDs: []string{"210987654321"}, Regions: []string{"eu-west-1"}, DryRun: true},
			&request.Request{Action: request.ActionOffboard, DryRun: true, Plan: &request.Plan{
				OrganizationalUnitIDs: []string{ou}, AccountIDs: []string{"210987654321"}, Regions: []string{"eu-west-1"}}}, ""},
		{"a plan without regions takes the defaults later", request.RawRequest{Action: request.ActionSweep, AccountIDs: []string{"210987654321"}},
			&request.Request{Action: request.ActionSweep, Plan: &request.Plan{AccountIDs: []string{"210987654321"}}}, ""},
		{"a work item", request.RawRequest{Action: request.ActionSweep, AccountID: ptr("210987654321"), Region: ptr("eu-west-1"), PlanID: ptr("plan-1")},
			&request.Request{Action: request.ActionSweep, WorkItem: &request.WorkItem{AccountID: "210987654321", Region: "eu-west-1", PlanID: "plan-1"}}, ""},
		{"an empty plan", request.RawRequest{Action: request.ActionSweep, AccountIDs: []string{}}, nil, "a plan needs at least one OU"},
		{"a bad OU", request.RawRequest{Action: request.ActionSweep, OrganizationalUnitIDs: []string{"r-abcd"}}, nil, "not an organizational unit ID"},
		{"a bad account", request.RawRequest{Action: request.ActionSweep, AccountIDs: []string{"12345"}}, nil, "not an account ID"},
		{"a plan in a region without App Runner", request.RawRequest{Action: request.ActionSweep, AccountIDs: []string{"210987654321"}, Regions: []string{"sa-east-1"}},
			nil, `region "sa-east-1": no App Runner there`},
		{"a plan with a role", request.RawRequest{Action: request.ActionOffboard, AccountIDs: []string{"210987654321"}, RoleARN: ptr(roleARN)}, nil, `takes no "roleArn"`},
		{"a plan and a work item at once", request.RawRequest{Action: request.ActionSweep, AccountIDs: []string{"210987654321"}, Region: ptr("eu-west-1")},
			nil, "not both"},
		{"a work item without its account", request.RawRequest{Action: request.ActionSweep, Region: ptr("eu-west-1")}, nil, `needs "accountId"`},
		{"a work item in a made-up region", request.RawRequest{Action: request.ActionSweep, AccountID: ptr("210987654321"), Region: ptr("zz-fake-1")},
			nil, "no App Runner there"},
		{"a work item with a spaced plan ID", request.RawRequest{Action: request.ActionSweep, AccountID: ptr("210987654321"), Region: ptr("eu-west-1"), PlanID: ptr("a b")},
			nil, `"planId"`},
		{"a delete naming OUs", request.RawRequest{Action: request.ActionDelete, ConnectionARNs: []string{"x"}, OrganizationalUnitIDs: []string{ou}},
			nil, `applies to plans and work items`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _, err := tt.raw.Check()
			if tt.want == nil {
				if err == nil || !strings.Contains(err.Error(), tt.errPart) {
					t.Fatalf("error = %v, want one saying %q", err, tt.errPart)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, req); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

// orgWorld is an emulator with the home account and a member account, and
// a dispatcher that runs work items: the member account is reached the way
// the function does after assuming the member role.
func orgWorld(t *testing.T, admit admitFunc) (*world, *cleanup.Dispatcher, *[]cleanup.Scope) {
	t.Helper()
	w := newWorld(t, apprunnerlocal.Options{Accounts: map[string]string{otherKey: leaving}}, 3)
	hs := httptest.NewServer(w.srv)
	t.Cleanup(hs.Close)
	var (
		mu     sync.Mutex
		scopes []cleanup.Scope
	)
	factory := func(ctx context.Context, s cleanup.Scope) (cleanup.Runner, error) {
		mu.Lock()
		scopes = append(scopes, s)
		mu.Unlock()
		key := "AKIDTEST"
		if s.Account == leaving {
			key = otherKey
		}
		minAge := 24 * time.Hour
		if s.Offboard {
			minAge = 0
		}
		return cleanup.New(apprunnerlocal.NewClient(hs.URL, s.Region, key), cleanup.Config{
			Account: s.Account, Region: s.Region, ProtectTagKey: "apprunner-cleanup:protect", MinAge: minAge}, nil)
	}
	d := cleanup.NewDispatcher(w.engine(cleanup.Config{}), factory, nil).WithOrganization(cleanup.Organization{
		Home: cleanup.Scope{Account: account, Region: region}, Partition: "aws", MemberRole: "AppRunnerConnectionCleanup", Admit: admit,
	})
	return w, d, &scopes
}

// admitFunc is cleanup.Organization.Admit.
type admitFunc = func(ctx context.Context, account string, action request.Action, viaRole bool) (string, error)

func reachAll(context.Context, string, request.Action, bool) (string, error) { return "", nil }

func workItem(id string, action request.Action, acct, reg string) request.RawRequest {
	return request.RawRequest{ID: id, Action: action, AccountID: &acct, Region: &reg, PlanID: ptr("plan-7")}
}

func TestWorkItemsRunInTheirAccountThroughTheMemberRole(t *testing.T) {
	tests := []struct {
		name      string
		action    request.Action
		wantYoung request.Outcome
		wantScope cleanup.Scope
	}{
		{"a sweep keeps the minimum age", request.ActionSweep, request.OutcomeTooYoung,
			cleanup.Scope{Account: leaving, Region: "eu-west-1", RoleARN: "arn:aws:iam::210987654321:role/AppRunnerConnectionCleanup"}},
		{"an offboarding has none", request.ActionOffboard, request.OutcomeDeleted,
			cleanup.Scope{Account: leaving, Region: "eu-west-1", RoleARN: "arn:aws:iam::210987654321:role/AppRunnerConnectionCleanup", Offboard: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, d, scopes := orgWorld(t, reachAll)
			oldOne := w.connIn(leaving, "eu-west-1", apprunnerlocal.SeedConnection{Name: "old-conn", CreatedAt: old})
			young := w.connIn(leaving, "eu-west-1", apprunnerlocal.SeedConnection{Name: "young-conn", CreatedAgo: time.Minute})
			home := w.conn(apprunnerlocal.SeedConnection{Name: "home-conn"})

			rep := runRequests(ctx(t), t, d, []request.RawRequest{workItem("w1", tt.action, leaving, "eu-west-1")})

			got := byARN(t, rep)
			if got[oldOne].Outcome != request.OutcomeDeleted || got[young].Outcome != tt.wantYoung {
				t.Errorf("old %s, young %s; want deleted, %s", got[oldOne].Outcome, got[young].Outcome, tt.wantYoung)
			}
			if got[oldOne].PlanID != "plan-7" {
				t.Errorf("result's plan %q, want plan-7", got[oldOne].PlanID)
			}
			if _, touched := got[home]; touched || !w.exists(home) {
				t.Error("a work item of another account touched the home account")
			}
			if diff := cmp.Diff([]cleanup.Scope{tt.wantScope}, *scopes); diff != "" {
				t.Errorf("scopes (-want +got):\n%s", diff)
			}
			// What the plan-progress query reads.
			if len(rep.WorkItems) != 1 || rep.WorkItems[0].PlanID != "plan-7" || rep.WorkItems[0].Account != leaving ||
				rep.WorkItems[0].Counts[request.OutcomeDeleted] != rep.Counts[request.OutcomeDeleted] {
				t.Errorf("work items %+v, want plan-7's run in %s with the report's counts %v", rep.WorkItems, leaving, rep.Counts)
			}
		})
	}
}

// TestOwnAccountElsewhereIsReachedThroughTheMemberRole: the function's own
// permissions cover its own region only.
func TestOwnAccountElsewhereIsReachedThroughTheMemberRole(t *testing.T) {
	_, d, scopes := orgWorld(t, reachAll)

	runRequests(ctx(t), t, d, []request.RawRequest{workItem("w1", request.ActionSweep, account, "eu-west-1")})

	want := []cleanup.Scope{{Account: account, Region: "eu-west-1", RoleARN: "arn:aws:iam::123456789012:role/AppRunnerConnectionCleanup"}}
	if diff := cmp.Diff(want, *scopes); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}
}

func TestWorkItemOfTheHomeAccountAndRegionRunsOnTheHomeEngine(t *testing.T) {
	w, d, scopes := orgWorld(t, reachAll)
	free := w.conn(apprunnerlocal.SeedConnection{Name: "free-conn"})

	rep := runRequests(ctx(t), t, d, []request.RawRequest{workItem("w1", request.ActionSweep, account, region)})

	if r := byARN(t, rep)[free]; r.Outcome != request.OutcomeDeleted || r.PlanID != "plan-7" {
		t.Errorf("result %+v, want deleted for plan-7", r)
	}
	if len(*scopes) != 0 {
		t.Errorf("engines made for %v, want the home engine alone", *scopes)
	}
}

// TestWorkItemsAreCheckedWithTheOrganizationEveryTime: what may have
// changed since the plan was made (an account moved back out of the
// offboarding OU) is checked again when a work item runs.
func TestWorkItemsAreCheckedWithTheOrganizationEveryTime(t *testing.T) {
	tests := []struct {
		name    string
		reach   admitFunc
		outcome request.Outcome
		reason  string
	}{
		{"an account moved out of the offboarding OU", func(context.Context, string, request.Action, bool) (string, error) {
			return "account 210987654321 is no longer below the offboarding OU", nil
		}, request.OutcomeInvalid, "no longer below the offboarding OU"},
		{"Organizations failing", func(context.Context, string, request.Action, bool) (string, error) {
			return "", errors.New("TooManyRequestsException: slow down")
		}, request.OutcomeFailed, "check account 210987654321 with AWS Organizations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, d, scopes := orgWorld(t, tt.reach)
			conn := w.connIn(leaving, "eu-west-1", apprunnerlocal.SeedConnection{Name: "old-conn", CreatedAt: old})

			rep := runRequests(ctx(t), t, d, []request.RawRequest{workItem("w1", request.ActionOffboard, leaving, "eu-west-1")})

			if len(rep.Results) != 1 || rep.Results[0].Outcome != tt.outcome || !strings.Contains(rep.Results[0].Reason, tt.reason) ||
				rep.Results[0].RequestIDs[0] != "w1" {
				t.Fatalf("results %+v, want one %s result for w1 saying %q", rep.Results, tt.outcome, tt.reason)
			}
			if len(*scopes) != 0 || !w.exists(conn) || w.srv.Stats().Total() != 0 {
				t.Errorf("the refused work item reached App Runner: engines %v, calls %d", *scopes, w.srv.Stats().Total())
			}
		})
	}
}

// TestWorkItemsOfOneAccountAskTheOrganizationOnce: the work items of one
// account's regions arrive together, and Organizations tolerates few
// calls a second: each account, action and way in is asked about once
// per run.
func TestWorkItemsOfOneAccountAskTheOrganizationOnce(t *testing.T) {
	var (
		mu   sync.Mutex
		asks []string
	)
	admit := func(_ context.Context, account string, action request.Action, viaRole bool) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		asks = append(asks, fmt.Sprintf("%s %s %v", account, action, viaRole))
		return "", nil
	}
	_, d, _ := orgWorld(t, admit)
	var items []request.RawRequest
	for i, r := range []string{"us-east-1", "eu-west-1", "ap-northeast-1", "us-west-2"} {
		items = append(items, workItem(fmt.Sprintf("w%d", i), request.ActionOffboard, leaving, r))
	}
	items = append(items, workItem("s1", request.ActionSweep, leaving, "eu-west-1"), workItem("h1", request.ActionSweep, account, region))
	runRequests(ctx(t), t, d, items)

	slices.Sort(asks)
	want := []string{account + " sweep false", leaving + " offboard true", leaving + " sweep true"}
	if diff := cmp.Diff(want, asks); diff != "" {
		t.Errorf("admissions asked (-want +got):\n%s", diff)
	}
}

// TestWorkItemsNeedTheirConfiguration: without the organization's settings
// a work item is refused naming them. (A plan without a queue is the
// trigger's to refuse, and no engine runs one: see
// TestAnEngineRunsNoPlanWorkItemOrOffboardingAsItIs.)
func TestWorkItemsNeedTheirConfiguration(t *testing.T) {
	_, d, _ := offboardWorld(t) // no organization configured
	rep := runRequests(ctx(t), t, d, []request.RawRequest{workItem("w1", request.ActionSweep, leaving, "eu-west-1")})
	if len(rep.Results) != 1 || rep.Results[0].Outcome != request.OutcomeInvalid || !strings.Contains(rep.Results[0].Reason, "ORGANIZATION_OU_IDS") {
		t.Errorf("results %+v, want the work item refused naming its settings", rep.Results)
	}
}
