package org_test

import (
	"cmp"
	"context"
	"strings"
	"testing"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/org"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// TestSweepsAndOffboardingReachDifferentOUs: a sweep keeps young
// connections and may reach the sweep OUs; an offboarding keeps none and
// reaches only the offboarding OU, the home account only when the operator
// said so, and the management account never.
func TestSweepsAndOffboardingReachDifferentOUs(t *testing.T) {
	hs := newEmulator(t, apprunnerlocal.Options{})
	api := newOrganizations(hs.URL, homeKey)
	standard := org.Settings{Home: home, SweepOUs: allowed, OffboardOU: teams}
	tests := []struct {
		name     string
		settings org.Settings
		account  string
		action   request.Action
		why      string // "" when reached, else part of the reason
	}{
		{"a sweep below a sweep OU", standard, active, request.ActionSweep, ""},
		{"an offboarding below a sweep OU, not the offboarding OU", standard, active, request.ActionOffboard, "neither the offboarding OU"},
		{"an offboarding below the offboarding OU", standard, teamAccount(1), request.ActionOffboard, ""},
		{"an offboarding two levels below the offboarding OU", standard, teamOUAccount(4), request.ActionOffboard, ""},
		{"an offboarding of another sweep OU's account", standard, bigAccount(1), request.ActionOffboard, "neither the offboarding OU"},
		{"an offboarding with no offboarding OU", org.Settings{Home: home, SweepOUs: allowed}, teamAccount(1), request.ActionOffboard, "no offboarding OU is configured"},
		{"a sweep with only an offboarding OU", org.Settings{Home: home, OffboardOU: teams}, teamAccount(1), request.ActionSweep, "no sweep OU is configured"},
		{"a sweep of the home account", standard, home, request.ActionSweep, ""},
		{"an offboarding of the home account", standard, home, request.ActionOffboard, "needs OFFBOARD_HOME_ACCOUNT=true"},
		{"an offboarding of the home account that is the management account", org.Settings{Home: home, SweepOUs: allowed, OffboardOU: teams, OffboardHome: true},
			home, request.ActionOffboard, "management account"},
		// The function in a member account (a delegated administrator):
		// the management account is another account, below the root.
		{"a sweep of the management account", org.Settings{Home: active, SweepOUs: []string{rootID}, OffboardOU: rootID}, home, request.ActionSweep, "management account"},
		{"an offboarding of the management account", org.Settings{Home: active, SweepOUs: []string{rootID}, OffboardOU: rootID}, home, request.ActionOffboard, "management account"},
		{"an offboarding at the root allowed", org.Settings{Home: active, SweepOUs: []string{rootID}, OffboardOU: rootID}, atRoot, request.ActionOffboard, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := org.NewDirectory(api, tt.settings)
			why, err := d.Reachable(context.Background(), tt.account, tt.action)
			if err != nil {
				t.Fatalf("Reachable(%s, %s) error: %v", tt.account, tt.action, err)
			}
			if tt.why == "" && why != "" || !strings.Contains(why, tt.why) {
				t.Errorf("Reachable(%s, %s) = %q, want %q", tt.account, tt.action, why, cmp.Or(tt.why, "(reachable)"))
			}
		})
	}
}

// TestAdmitAsksOnlyWhatCanHaveChanged: a work item of the function's own
// planner runs without asking Organizations again what the planner
// checked, but an offboarding asks whether its account is still below the
// offboarding OU, and one moved back out is left alone.
func TestAdmitAsksOnlyWhatCanHaveChanged(t *testing.T) {
	s, hs := newEmulatorServer(t, apprunnerlocal.Options{})
	d := org.NewDirectory(newOrganizations(hs.URL, homeKey), org.Settings{Home: home, SweepOUs: allowed, OffboardOU: teams})
	ctx := context.Background()
	// The management account is learned once.
	if why, err := d.Admit(ctx, teamAccount(1), request.ActionSweep, true); why != "" || err != nil {
		t.Fatalf("Admit(sweep) = %q, %v; want admitted", why, err)
	}
	s.ResetStats()
	for range 3 {
		if why, err := d.Admit(ctx, teamAccount(1), request.ActionSweep, true); why != "" || err != nil {
			t.Fatalf("Admit(sweep) = %q, %v; want admitted", why, err)
		}
	}
	if n := s.Stats().Total(); n != 0 {
		t.Errorf("three sweep work items made %d Organizations calls, want 0: the planner checked their account", n)
	}
	if why, err := d.Admit(ctx, teamAccount(1), request.ActionOffboard, true); why != "" || err != nil {
		t.Fatalf("Admit(offboard) = %q, %v; want admitted", why, err)
	}
	if n := s.Stats().Calls["organizations:ListParents"]; n != 1 {
		t.Errorf("an offboarding work item made %d ListParents calls, want 1 (the OUs above are cached)", n)
	}

	if err := s.MoveAccount(teamAccount(1), sandbox); err != nil {
		t.Fatal(err)
	}
	why, err := d.Admit(ctx, teamAccount(1), request.ActionOffboard, true)
	if err != nil || !strings.Contains(why, "no longer below the offboarding OU") {
		t.Errorf("Admit(offboard) after the account moved out = %q, %v; want it left alone", why, err)
	}
	// The management account, through the member role: never.
	if why, err := d.Admit(ctx, home, request.ActionSweep, true); err != nil || !strings.Contains(why, "management account") {
		t.Errorf("Admit(home through the member role) = %q, %v; want refused as the management account", why, err)
	}
	if why, err := d.Admit(ctx, home, request.ActionSweep, false); why != "" || err != nil {
		t.Errorf("Admit(home with its own credentials) = %q, %v; want admitted", why, err)
	}
}

// TestNoOUConfiguredAsksOrganizationsNothing: without organization plans
// the function is granted no Organizations call, so a request naming
// another account is refused by the settings alone.
func TestNoOUConfiguredAsksOrganizationsNothing(t *testing.T) {
	s, hs := newEmulatorServer(t, apprunnerlocal.Options{})
	d := org.NewDirectory(newOrganizations(hs.URL, homeKey), org.Settings{Home: home})
	for _, action := range []request.Action{request.ActionSweep, request.ActionOffboard} {
		why, err := d.Reachable(context.Background(), active, action)
		if err != nil || !strings.Contains(why, "configured") {
			t.Errorf("Reachable(%s) = %q, %v; want refused for want of an OU", action, why, err)
		}
	}
	if mgmt, err := d.ManagementAccount(context.Background()); mgmt != "" || err != nil {
		t.Errorf("ManagementAccount = %q, %v; want none asked", mgmt, err)
	}
	if n := s.Stats().Total(); n != 0 {
		t.Errorf("%d Organizations calls, want none", n)
	}
}
