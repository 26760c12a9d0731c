package org_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/org"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

func TestReachable(t *testing.T) {
	hs := newEmulator(t, apprunnerlocal.Options{})
	api := newOrganizations(hs.URL, homeKey)
	tests := []struct {
		name    string
		allowed []string
		account string
		// why is "" when the account may be reached, else a part of the
		// reason that says which rule refused it.
		why string
	}{
		{"home", allowed, home, ""},
		{"home with no OU allowed", nil, home, ""},
		{"in an allowed OU", allowed, active, ""},
		{"in an OU below an allowed OU", allowed, teamAccount(1), ""},
		{"two levels below an allowed OU", allowed, teamOUAccount(21), ""},
		{"below an allowed OU that is not the first", allowed, bigAccount(1), ""},
		{"in an allowed nested OU", []string{teamOU(3)}, teamOUAccount(3), ""},
		{"in another OU", allowed, sandboxed, "neither one of the sweep OUs"},
		{"at the root", allowed, atRoot, "neither one of the sweep OUs"},
		{"above the allowed OU", []string{teams}, active, "neither one of the sweep OUs"},
		{"in a sibling of the allowed OU", []string{teamOU(1)}, teamOUAccount(2), "neither one of the sweep OUs"},
		{"the root allowed", []string{rootID}, atRoot, ""},
		{"suspended", allowed, suspended, "SUSPENDED, not ACTIVE"},
		{"pending closure", allowed, closing, "PENDING_CLOSURE, not ACTIVE"},
		{"ACTIVE status, PENDING_ACTIVATION state", allowed, activating, "PENDING_ACTIVATION, not ACTIVE"},
		{"not in the organization", allowed, unknown, "not in the organization"},
		{"no OU allowed", nil, active, "no sweep OU is configured"},
		{"not an account ID", allowed, "12345", "not an account ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := org.NewDirectory(api, org.Settings{Home: home, SweepOUs: tt.allowed})
			why, err := d.Reachable(context.Background(), tt.account, request.ActionSweep)
			if err != nil {
				t.Fatalf("Reachable(%s) error: %v", tt.account, err)
			}
			if tt.why == "" && why != "" || !strings.Contains(why, tt.why) {
				want := tt.why
				if want == "" {
					want = "(reachable)"
				}
				t.Errorf("Reachable(%s) = %q, want %q", tt.account, why, want)
			}
			// Asked again, the cached OUs give the same answer.
			again, err := d.Reachable(context.Background(), tt.account, request.ActionSweep)
			if err != nil || again != why {
				t.Errorf("Reachable(%s) again = %q, %v; want %q, nil", tt.account, again, err, why)
			}
		})
	}
}

// TestReachableCachesOUsNotAccounts: the parents of OUs are learned once
// per Directory; an account's parent is asked every time, since accounts
// move.
func TestReachableCachesOUsNotAccounts(t *testing.T) {
	s, hs := newEmulatorServer(t, apprunnerlocal.Options{})
	d := org.NewDirectory(newOrganizations(hs.URL, homeKey), org.Settings{Home: home, SweepOUs: allowed})
	// The account's parent, then Team 1's, then Teams' (Workloads, allowed).
	for _, want := range []int{3, 1, 1} {
		s.ResetStats()
		if why, err := d.Reachable(context.Background(), teamOUAccount(1), request.ActionSweep); why != "" || err != nil {
			t.Fatalf("Reachable = %q, %v; want \"\", nil", why, err)
		}
		st := s.Stats()
		if got := st.Calls["organizations:ListParents"]; got != want {
			t.Errorf("ListParents called %d times, want %d (stats %v)", got, want, st.Calls)
		}
		if got := st.Calls["organizations:DescribeAccount"]; got != 1 {
			t.Errorf("DescribeAccount called %d times, want 1", got)
		}
	}
	// Team 2 shares Teams with Team 1: only its own parent is new.
	s.ResetStats()
	if why, err := d.Reachable(context.Background(), teamOUAccount(2), request.ActionSweep); why != "" || err != nil {
		t.Fatalf("Reachable = %q, %v; want \"\", nil", why, err)
	}
	if got := s.Stats().Calls["organizations:ListParents"]; got != 2 {
		t.Errorf("ListParents called %d times for a sibling OU's account, want 2", got)
	}
}

// TestReachableConcurrently: the dispatcher checks work items in parallel
// through one Directory.
func TestReachableConcurrently(t *testing.T) {
	hs := newEmulator(t, apprunnerlocal.Options{})
	d := org.NewDirectory(newOrganizations(hs.URL, homeKey), org.Settings{Home: home, SweepOUs: allowed})
	accounts := append(teamsAccounts(), sandboxed, suspended, home)
	whys := make([]string, len(accounts))
	errs := make([]error, len(accounts))
	var wg sync.WaitGroup
	for i, a := range accounts {
		wg.Go(func() { whys[i], errs[i] = d.Reachable(context.Background(), a, request.ActionSweep) })
	}
	wg.Wait()
	for i, a := range accounts {
		refused := a == sandboxed || a == suspended
		if errs[i] != nil || (whys[i] != "") != refused {
			t.Errorf("Reachable(%s) = %q, %v; want refused: %t", a, whys[i], errs[i], refused)
		}
	}
}

// TestReachableFailures: calls that fail are errors, with the SDK's typed
// error inside, never a reason to refuse.
func TestReachableFailures(t *testing.T) {
	tests := []struct {
		name      string
		opts      apprunnerlocal.Options
		accessKey string
		// before is an account checked first, which spends the one call
		// a rate limit allows.
		before string
		want   any // a pointer to the typed error expected
	}{
		{"throttled DescribeAccount", apprunnerlocal.Options{RateLimits: map[string]apprunnerlocal.RateLimit{
			"organizations:DescribeAccount": {PerSecond: 0.001, Burst: 1}}}, homeKey, active, new(*types.TooManyRequestsException)},
		{"throttled ListParents", apprunnerlocal.Options{RateLimits: map[string]apprunnerlocal.RateLimit{
			"organizations:ListParents": {PerSecond: 0.001, Burst: 1}}}, homeKey, "", new(*types.TooManyRequestsException)},
		{"server errors", apprunnerlocal.Options{FaultRate: 1}, homeKey, "", new(*types.ServiceException)},
		{"a caller that may not read the organization", apprunnerlocal.Options{}, memberKey, "", new(*types.AccessDeniedException)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newEmulator(t, tt.opts)
			d := org.NewDirectory(newOrganizations(hs.URL, tt.accessKey), org.Settings{Home: home, SweepOUs: allowed})
			if tt.before != "" {
				_, _ = d.Reachable(context.Background(), tt.before, request.ActionSweep)
			}
			why, err := d.Reachable(context.Background(), teamOUAccount(1), request.ActionSweep)
			if why != "" || !errors.As(err, tt.want) {
				t.Errorf("Reachable = %q, %v; want \"\" and an error that is a %T", why, err, tt.want)
			}
			// The home account needs no call.
			if why, err := d.Reachable(context.Background(), home, request.ActionSweep); why != "" || err != nil {
				t.Errorf("Reachable(home) = %q, %v; want \"\", nil", why, err)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	hs := newEmulator(t, apprunnerlocal.Options{})
	api := newOrganizations(hs.URL, homeKey)
	notActive := []request.Refusal{
		{Subject: suspended, Reason: "SUSPENDED"},
		{Subject: closing, Reason: "PENDING_CLOSURE"},
		{Subject: activating, Reason: "PENDING_ACTIVATION"},
	}
	tests := []struct {
		name         string
		allowed      []string
		ous, account []string
		want         []string
		// refused are the refusals expected, in order; each Reason is a
		// part of the reason.
		refused []request.Refusal
	}{
		{
			name: "an allowed OU, its child OUs, over more than one page",
			ous:  []string{workloads}, want: workloadAccounts(), refused: notActive,
		},
		{
			name: "an OU below an allowed OU",
			ous:  []string{teams}, want: teamsAccounts(),
		},
		{
			name: "an OU named after its ancestor, and twice",
			ous:  []string{workloads, teams, workloads, teamOU(2)}, want: workloadAccounts(), refused: notActive,
		},
		{
			name: "an OU named before its ancestor",
			ous:  []string{teamOU(2), workloads}, want: workloadAccounts(), refused: notActive,
		},
		{
			name: "accounts named, and below an OU named",
			ous:  []string{teams}, account: []string{home, teamAccount(1), active, active},
			want: append([]string{home, active}, teamsAccounts()...),
		},
		{
			name: "refused OUs",
			ous:  []string{sandbox, missingOU, "r-test", teamOU(1)},
			want: []string{teamOUAccount(1)},
			refused: []request.Refusal{
				{Subject: sandbox, Reason: "neither one of the sweep OUs"},
				{Subject: missingOU, Reason: "not in the organization"},
				{Subject: "r-test", Reason: "not an organizational unit ID"},
			},
		},
		{
			name:    "refused accounts",
			account: []string{sandboxed, atRoot, unknown, suspended, teamOUAccount(4)},
			want:    []string{teamOUAccount(4)},
			refused: []request.Refusal{
				{Subject: sandboxed, Reason: "neither one of the sweep OUs"},
				{Subject: atRoot, Reason: "neither one of the sweep OUs"},
				{Subject: unknown, Reason: "not in the organization"},
				{Subject: suspended, Reason: "SUSPENDED"},
			},
		},
		{
			name: "an account named and found not ACTIVE below an OU is refused once",
			ous:  []string{workloads}, account: []string{suspended},
			want: workloadAccounts(), refused: notActive,
		},
		{
			name:    "no OU allowed",
			allowed: []string{},
			ous:     []string{workloads}, account: []string{home, active},
			want: []string{home},
			refused: []request.Refusal{
				{Subject: active, Reason: "no sweep OU is configured"},
				{Subject: workloads, Reason: "no sweep OU is configured"},
			},
		},
		{
			name: "at most MaxPlanAccounts accounts",
			ous:  []string{big, workloads}, account: []string{active},
			want: append([]string{active}, bigAccounts1(request.MaxPlanAccounts-1)...),
			refused: []request.Refusal{
				{Subject: big, Reason: fmt.Sprintf("the plan reached %d accounts, as many as one plan may, before every account below OU %s", request.MaxPlanAccounts, big)},
				{Subject: workloads, Reason: "before OU " + workloads + " was listed"},
			},
		},
		{
			name:    "named accounts past MaxPlanAccounts",
			account: bigAccounts1(bigAccounts),
			want:    bigAccounts1(request.MaxPlanAccounts),
			refused: []request.Refusal{{Subject: bigAccount(bigAccounts), Reason: "the plan already reaches 1000 accounts"}},
		},
		{
			name: "named accounts count first",
			ous:  []string{big}, account: []string{bigAccount(bigAccounts), teamAccount(1)},
			want:    append(bigAccounts1(request.MaxPlanAccounts-2), bigAccount(bigAccounts), teamAccount(1)),
			refused: []request.Refusal{{Subject: big, Reason: "before every account below OU " + big}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			allowedOUs := allowed
			if tt.allowed != nil {
				allowedOUs = tt.allowed
			}
			d := org.NewDirectory(api, org.Settings{Home: home, SweepOUs: allowedOUs})
			reach, refused, err := d.Resolve(context.Background(), request.ActionSweep, tt.ous, tt.account)
			if err != nil {
				t.Fatalf("Resolve error: %v", err)
			}
			if diff := cmp.Diff(sorted(tt.want), reach); diff != "" {
				t.Errorf("Resolve reach (-want +got):\n%s", diff)
			}
			if !matchRefusals(refused, tt.refused) {
				t.Errorf("Resolve refused\n%v\nwant (reasons in part)\n%v", refused, tt.refused)
			}
		})
	}
}

// bigAccounts1 is the first n accounts of Big.
func bigAccounts1(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = bigAccount(i + 1)
	}
	return out
}

func TestResolveFailure(t *testing.T) {
	for _, op := range []string{"ListParents", "ListAccountsForParent", "ListOrganizationalUnitsForParent", "DescribeAccount"} {
		t.Run(op, func(t *testing.T) {
			hs := newEmulator(t, apprunnerlocal.Options{RateLimits: map[string]apprunnerlocal.RateLimit{
				"organizations:" + op: {PerSecond: 0.001, Burst: 1}}})
			d := org.NewDirectory(newOrganizations(hs.URL, homeKey), org.Settings{Home: home, SweepOUs: allowed})
			// Each operation is called at least twice.
			reach, refused, err := d.Resolve(context.Background(), request.ActionSweep, []string{teams}, []string{active, teamAccount(1)})
			var throttled *types.TooManyRequestsException
			if !errors.As(err, &throttled) || reach != nil || refused != nil {
				t.Errorf("Resolve = %v, %v, %v; want nil, nil and a TooManyRequestsException", reach, refused, err)
			}
		})
	}
}

func sorted(s []string) []string {
	out := append([]string{}, s...)
	slices.Sort(out)
	return out
}

// matchRefusals reports whether got are want, in order, each reason
// containing want's.
func matchRefusals(got, want []request.Refusal) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i].Subject != want[i].Subject || !strings.Contains(got[i].Reason, want[i].Reason) {
			return false
		}
	}
	return true
}
