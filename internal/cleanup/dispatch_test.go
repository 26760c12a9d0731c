package cleanup_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

const (
	leaving  = "210987654321"
	roleARN  = "arn:aws:iam::210987654321:role/AppRunnerConnectionCleanup"
	otherKey = "AKIDLEAVING"
	// roleARN2 is a second allowed role into the same account.
	roleARN2 = "arn:aws:iam::210987654321:role/PlatformAdmin"
)

// offboardWorld is an emulator holding the home account and a leaving one,
// with a factory that reaches the leaving account the way the function does
// after assuming its role: a client whose credentials belong to it.
func offboardWorld(t *testing.T) (*world, *cleanup.Dispatcher, *atomic.Int32) {
	t.Helper()
	w := newWorld(t, apprunnerlocal.Options{Accounts: map[string]string{otherKey: leaving}}, 3)
	hs := httptest.NewServer(w.srv)
	t.Cleanup(hs.Close)
	var made atomic.Int32
	factory := func(ctx context.Context, s cleanup.Scope) (cleanup.Runner, error) {
		if s.RoleARN != roleARN && s.RoleARN != roleARN2 {
			return nil, errors.New("AccessDenied: not authorized to perform sts:AssumeRole")
		}
		made.Add(1)
		client := apprunnerlocal.NewClient(hs.URL, s.Region, otherKey)
		return cleanup.New(client, cleanup.Config{Account: s.Account, Region: s.Region, ProtectTagKey: "apprunner-cleanup:protect"}, nil)
	}
	home := w.engine(cleanup.Config{})
	return w, cleanup.NewDispatcher(home, factory, []string{roleARN, roleARN2, "arn:aws:iam::210987654321:role/Broken"}), &made
}

func (w *world) connIn(acct, reg string, c apprunnerlocal.SeedConnection) string {
	w.t.Helper()
	arn, err := w.srv.AddConnection(acct, reg, c)
	if err != nil {
		w.t.Fatal(err)
	}
	return arn
}

func TestOffboardingDeletesEveryFreeConnectionOfTheAccountInEachRegion(t *testing.T) {
	w, d, made := offboardWorld(t)
	east := w.connIn(leaving, "us-east-1", apprunnerlocal.SeedConnection{Name: "east-conn", CreatedAgo: 1}) // young: offboarding has no minimum age
	west := w.connIn(leaving, "eu-west-1", apprunnerlocal.SeedConnection{Name: "west-conn", CreatedAt: old})
	kept := w.connIn(leaving, "eu-west-1", apprunnerlocal.SeedConnection{Name: "kept-conn", CreatedAt: old, Tags: map[string]string{"apprunner-cleanup:protect": "yes"}})
	used := w.connIn(leaving, "eu-west-1", apprunnerlocal.SeedConnection{Name: "used-conn", CreatedAt: old})
	if _, err := w.srv.AddService(leaving, "eu-west-1", apprunnerlocal.SeedService{Name: "last-app", ConnectionARN: used}); err != nil {
		t.Fatal(err)
	}
	home := w.conn(apprunnerlocal.SeedConnection{Name: "home-conn"})

	rep := runRequests(ctx(t), t, d, []request.RawRequest{
		{ID: "off", Action: request.ActionOffboard, RoleARN: ptr(roleARN), Regions: []string{"us-east-1", "eu-west-1", "eu-west-1"}},
		del("home", home),
	})

	want := map[string]request.Outcome{
		east: request.OutcomeDeleted, west: request.OutcomeDeleted, kept: request.OutcomeProtected,
		used: request.OutcomeInUse, home: request.OutcomeDeleted,
	}
	got := byARN(t, rep)
	for arn, o := range want {
		if got[arn].Outcome != o {
			t.Errorf("%s: %s (%s), want %s", arn, got[arn].Outcome, got[arn].Reason, o)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d results, want %d: %+v", len(got), len(want), rep.Results)
	}
	if made.Load() != 2 {
		t.Errorf("%d engines made, want one per region", made.Load())
	}
	if rep.Counts[request.OutcomeDeleted] != 3 || rep.APICalls["DeleteConnection"] != 3 {
		t.Errorf("merged counts %v, API calls %v", rep.Counts, rep.APICalls)
	}
	if rep.Action != request.ActionBatch {
		t.Errorf("action %q, want batch", rep.Action)
	}
}

func TestOffboardingRequestsAreCheckedBeforeAnyCall(t *testing.T) {
	tests := []struct {
		name   string
		req    request.RawRequest
		reason string
	}{
		{"no regions", request.RawRequest{RoleARN: ptr(roleARN)}, `needs at least one region in "regions"`},
		{"bad region", request.RawRequest{RoleARN: ptr(roleARN), Regions: []string{"moon-1"}}, "not a region name"},
		// Each scope costs credentials, an engine and connections: a
		// request must not multiply them with regions that have no App Runner.
		{"made-up region", request.RawRequest{RoleARN: ptr(roleARN), Regions: []string{"us-east-1", "zz-fake-1"}}, `region "zz-fake-1": no App Runner there`},
		{"region without App Runner", request.RawRequest{RoleARN: ptr(roleARN), Regions: []string{"sa-east-1"}}, "App Runner is offered in ap-northeast-1"},
		{"region of another partition", request.RawRequest{RoleARN: ptr(roleARN), Regions: []string{"cn-north-1"}}, `region "cn-north-1": no App Runner there`},
		{"role in a partition without App Runner", request.RawRequest{RoleARN: ptr("arn:aws-cn:iam::210987654321:role/AppRunnerConnectionCleanup"), Regions: []string{"cn-north-1"}}, "partition aws-cn: App Runner is offered in none of its regions"},
		{"role not allowed", request.RawRequest{RoleARN: ptr("arn:aws:iam::210987654321:role/Other"), Regions: []string{"us-east-1"}}, "OFFBOARD_ROLE_ARNS"},
		{"not a role", request.RawRequest{RoleARN: ptr("arn:aws:iam::210987654321:user/bob"), Regions: []string{"us-east-1"}}, "not an IAM role ARN"},
		{"role of another account", request.RawRequest{AccountID: ptr("111111111111"), RoleARN: ptr(roleARN), Regions: []string{"us-east-1"}}, "belongs to account 210987654321"},
		{"no role", request.RawRequest{AccountID: ptr(leaving), Regions: []string{"us-east-1"}}, `needs "roleArn"`},
		{"home account without a role", request.RawRequest{Regions: []string{region}}, `needs "roleArn"`},
		{"connection ARNs", request.RawRequest{RoleARN: ptr(roleARN), Regions: []string{"us-east-1"}, ConnectionARNs: []string{"x"}}, `takes no "connectionArns"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, d, made := offboardWorld(t)
			tt.req.ID, tt.req.Action = "m1", request.ActionOffboard

			rep := runRequests(ctx(t), t, d, []request.RawRequest{tt.req})

			if len(rep.Results) != 1 || rep.Results[0].Outcome != request.OutcomeInvalid || !strings.Contains(rep.Results[0].Reason, tt.reason) {
				t.Fatalf("results %+v, want one invalid result mentioning %q", rep.Results, tt.reason)
			}
			if made.Load() != 0 || w.srv.Stats().Total() != 0 {
				t.Errorf("an invalid request reached App Runner: %d engines, %d calls", made.Load(), w.srv.Stats().Total())
			}
		})
	}
}

func TestOffboardingTheHomeAccountDecidesEachConnectionOnceWithTheHomeEngine(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{}, 3)
	homeRole := "arn:aws:iam::123456789012:role/OffboardSelf"
	young := w.conn(apprunnerlocal.SeedConnection{Name: "young-conn", CreatedAgo: 1})
	d := cleanup.NewDispatcher(w.engine(cleanup.Config{}), func(ctx context.Context, s cleanup.Scope) (cleanup.Runner, error) {
		return cleanup.New(w.client, cleanup.Config{Account: s.Account, Region: s.Region}, nil)
	}, []string{homeRole})

	// The scheduled sweep keeps the young connection; the offboarding,
	// which an operator allowed by listing the role, takes it.
	rep := runRequests(ctx(t), t, d, []request.RawRequest{
		{ID: "sweep", Action: request.ActionSweep},
		{ID: "off", Action: request.ActionOffboard, RoleARN: ptr(homeRole), Regions: []string{region}},
	})

	got := byARN(t, rep)
	if r := got[young]; r.Outcome != request.OutcomeDeleted || len(r.RequestIDs) != 2 {
		t.Errorf("young connection: %s for %v, want deleted once for both requests", r.Outcome, r.RequestIDs)
	}
	if rep.Counts[request.OutcomeDeleted] != 1 || rep.Counts[request.OutcomeTooYoung] != 0 {
		t.Errorf("counts %v: one connection, one outcome", rep.Counts)
	}
}

func TestTwoRolesIntoOneAccountShareOneEngine(t *testing.T) {
	w, d, made := offboardWorld(t)
	c := w.connIn(leaving, "eu-west-1", apprunnerlocal.SeedConnection{Name: "west-conn", CreatedAt: old})

	rep := runRequests(ctx(t), t, d, []request.RawRequest{
		{ID: "a", Action: request.ActionOffboard, RoleARN: ptr(roleARN), Regions: []string{"eu-west-1"}},
		{ID: "b", Action: request.ActionOffboard, RoleARN: ptr(roleARN2), Regions: []string{"eu-west-1"}},
	})

	if made.Load() != 1 || len(rep.Results) != 1 || rep.Results[0].ARN != c || len(rep.Results[0].RequestIDs) != 2 {
		t.Errorf("%d engines, results %+v; want one engine deciding %s once for both requests", made.Load(), rep.Results, c)
	}
}

func TestOffboardingAnEmptyAccountKeepsTheDryRun(t *testing.T) {
	_, d, _ := offboardWorld(t)

	rep := runRequests(ctx(t), t, d, []request.RawRequest{{ID: "m1", Action: request.ActionOffboard, RoleARN: ptr(roleARN), Regions: []string{"ap-south-1"}, DryRun: true}})

	if len(rep.Results) != 0 || !rep.DryRun {
		t.Errorf("empty account: results %+v, dryRun %v; want none and a dry run", rep.Results, rep.DryRun)
	}
}

func TestUnreachableScopeFailsItsRequestsForRetry(t *testing.T) {
	_, d, _ := offboardWorld(t)

	rep := runRequests(ctx(t), t, d, []request.RawRequest{{ID: "m1", Action: request.ActionOffboard,
		RoleARN: ptr("arn:aws:iam::210987654321:role/Broken"), Regions: []string{"us-east-1"}}})

	if len(rep.Results) != 1 || rep.Results[0].Outcome != request.OutcomeFailed ||
		!strings.Contains(rep.Results[0].Reason, "AccessDenied") || rep.Results[0].RequestIDs[0] != "m1" {
		t.Errorf("results %+v, want one failed result for m1 naming the error", rep.Results)
	}
}

// TestAnEngineRunsNoPlanWorkItemOrOffboardingAsItIs: the engine is the one
// place that refuses them, whether they reach it straight or through the
// dispatcher (a plan, which the trigger should have planned): each is
// invalid, and the engine's own account loses nothing, fresh or old.
func TestAnEngineRunsNoPlanWorkItemOrOffboardingAsItIs(t *testing.T) {
	w, d, _ := offboardWorld(t)
	free := w.conn(apprunnerlocal.SeedConnection{Name: "free-github"})
	tests := []struct {
		name   string
		runner cleanup.Runner
		raw    request.RawRequest
	}{
		{"a plan, through the dispatcher", d, request.RawRequest{ID: "p", Action: request.ActionSweep, AccountIDs: []string{account}, Regions: []string{region}}},
		{"a plan, straight", w.engine(cleanup.Config{}), request.RawRequest{ID: "p", Action: request.ActionOffboard, AccountIDs: []string{account}, Regions: []string{region}}},
		{"a work item, straight", w.engine(cleanup.Config{}), request.RawRequest{ID: "w", Action: request.ActionOffboard, AccountID: ptr(account), Region: ptr(region), PlanID: ptr("plan-1")}},
		{"an offboarding, straight", w.engine(cleanup.Config{}), request.RawRequest{ID: "o", Action: request.ActionOffboard, RoleARN: ptr(roleARN), Regions: []string{region}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := runRequests(ctx(t), t, tt.runner, []request.RawRequest{tt.raw})
			if len(rep.Results) != 1 || rep.Results[0].Outcome != request.OutcomeInvalid ||
				!strings.Contains(rep.Results[0].Reason, "never run as it is") || rep.Results[0].RequestIDs[0] != tt.raw.ID {
				t.Errorf("results %+v, want the request refused as invalid by the engine", rep.Results)
			}
			if !w.exists(free) {
				t.Fatalf("%s deleted %s", tt.name, free)
			}
		})
	}
}
