package org_test

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

// The test organization:
//
//	r-test
//	├── 111111111111 home (the management account, where the function runs)
//	├── 666666666601 at the root, below no allowed OU
//	├── ou-test-workload0 Workloads (allowed)
//	│   ├── 222222222201 ACTIVE
//	│   ├── 222222222202 SUSPENDED, 222222222203 PENDING_CLOSURE,
//	│   │   222222222204 ACTIVE but PENDING_ACTIVATION
//	│   └── ou-test-teams000 Teams: 25 accounts 3333333000NN (two pages)
//	│       └── 21 OUs ou-test-team00NN (two pages), one account 4444444000NN each
//	├── ou-test-sandbox0 Sandbox (not allowed): 555555555501
//	└── ou-test-big00000 Big (allowed): 1,001 accounts 7777770NNNNN
const (
	home       = "111111111111"
	homeKey    = "AKIDHOME"
	memberKey  = "AKIDMEMBER" // 222222222201, neither management nor delegated administrator
	rootID     = "r-test"
	workloads  = "ou-test-workload0"
	teams      = "ou-test-teams000"
	sandbox    = "ou-test-sandbox0"
	big        = "ou-test-big00000"
	missingOU  = "ou-test-missing0"
	active     = "222222222201"
	suspended  = "222222222202"
	closing    = "222222222203"
	activating = "222222222204"
	sandboxed  = "555555555501"
	atRoot     = "666666666601"
	unknown    = "999999999999"

	teamAccounts = 25
	teamOUs      = 21
	bigAccounts  = 1001
)

func teamAccount(i int) string   { return fmt.Sprintf("3333333%05d", i) }
func teamOU(i int) string        { return fmt.Sprintf("ou-test-team%04d", i) }
func teamOUAccount(i int) string { return fmt.Sprintf("4444444%05d", i) }
func bigAccount(i int) string    { return fmt.Sprintf("777777%06d", i) }

// allowed is the OUs the function may reach below, in the tests.
var allowed = []string{workloads, big}

func testOrganization() *apprunnerlocal.SeedOrganization {
	so := &apprunnerlocal.SeedOrganization{
		ID: "o-testtest00", ManagementAccount: home, RootID: rootID,
		OrganizationalUnits: []apprunnerlocal.SeedOrganizationalUnit{
			{ID: workloads, Name: "Workloads"},
			{ID: teams, Name: "Teams", Parent: workloads},
			{ID: sandbox, Name: "Sandbox"},
			{ID: big, Name: "Big"},
		},
		Accounts: []apprunnerlocal.SeedOrgAccount{
			{ID: home, Name: "home"},
			{ID: atRoot},
			{ID: active, Parent: workloads},
			{ID: suspended, Parent: workloads, Status: apprunnerlocal.AccountSuspended},
			{ID: closing, Parent: workloads, Status: apprunnerlocal.AccountPendingClosure},
			{ID: activating, Parent: workloads, Status: apprunnerlocal.AccountActive, State: apprunnerlocal.AccountStatePendingActivation},
			{ID: sandboxed, Parent: sandbox},
		},
	}
	for i := 1; i <= teamAccounts; i++ {
		so.Accounts = append(so.Accounts, apprunnerlocal.SeedOrgAccount{ID: teamAccount(i), Parent: teams})
	}
	for i := 1; i <= teamOUs; i++ {
		so.OrganizationalUnits = append(so.OrganizationalUnits, apprunnerlocal.SeedOrganizationalUnit{ID: teamOU(i), Name: fmt.Sprintf("Team %d", i), Parent: teams})
		so.Accounts = append(so.Accounts, apprunnerlocal.SeedOrgAccount{ID: teamOUAccount(i), Parent: teamOU(i)})
	}
	for i := 1; i <= bigAccounts; i++ {
		so.Accounts = append(so.Accounts, apprunnerlocal.SeedOrgAccount{ID: bigAccount(i), Parent: big})
	}
	return so
}

// workloadAccounts is every ACTIVE account below Workloads, sorted.
func workloadAccounts() []string {
	out := []string{active}
	out = append(out, teamsAccounts()...)
	return out
}

// teamsAccounts is every account below Teams, sorted.
func teamsAccounts() []string {
	var out []string
	for i := 1; i <= teamAccounts; i++ {
		out = append(out, teamAccount(i))
	}
	for i := 1; i <= teamOUs; i++ {
		out = append(out, teamOUAccount(i))
	}
	return out
}

// newEmulator serves the emulator with the test organization for one
// test.
func newEmulator(t *testing.T, opts apprunnerlocal.Options) *httptest.Server {
	t.Helper()
	_, hs := newEmulatorServer(t, opts)
	return hs
}

// newEmulatorServer is newEmulator that also returns the emulator, to
// inspect.
func newEmulatorServer(t *testing.T, opts apprunnerlocal.Options) (*apprunnerlocal.Server, *httptest.Server) {
	t.Helper()
	opts.Accounts = map[string]string{homeKey: home, memberKey: active}
	s := apprunnerlocal.New(opts)
	if err := s.Load(&apprunnerlocal.Seed{Organization: testOrganization()}); err != nil {
		t.Fatalf("load the test organization: %v", err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs
}

// newOrganizations returns the real Organizations client for the emulator
// at url, calling with accessKey, without retries: a test sees every error
// the emulator returns.
func newOrganizations(url, accessKey string) *organizations.Client {
	return organizations.New(organizations.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, "SECRET", ""),
		HTTPClient:       apprunnerlocal.HTTPClient(),
		RetryMaxAttempts: 1,
	})
}
