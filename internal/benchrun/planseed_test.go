package benchrun

import (
	"testing"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

var planRegions = []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1"}

func TestOrgSeed(t *testing.T) {
	shape := OrgShape{Accounts: 1000, Fanout: []int{5, 4}}
	p := NewPopulation(4, 3)
	start := time.Now()
	seed, err := OrgSeed(shape, planRegions, p)
	if err != nil {
		t.Fatal(err)
	}
	emu := apprunnerlocal.New(apprunnerlocal.Options{})
	if err := emu.Load(seed); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d accounts in %s", len(seed.Accounts), time.Since(start))

	org := seed.Organization
	if len(org.OrganizationalUnits) != 26 || len(org.Accounts) != 1001 {
		t.Fatalf("%d OUs and %d accounts, want 26 and 1,001 (the management account)", len(org.OrganizationalUnits), len(org.Accounts))
	}
	perParent := map[string]int{}
	for _, a := range org.Accounts {
		perParent[a.Parent]++
	}
	if perParent[OrgRootID] != 1 || perParent[TopOUID] != 0 || len(perParent) != 21 {
		t.Errorf("accounts by parent %v, want the management account at the root and 50 in each of 20 leaves", perParent)
	}
	for parent, n := range perParent {
		if parent != OrgRootID && n != 50 {
			t.Errorf("%s holds %d accounts, want 50", parent, n)
		}
	}
	// The tree the bound sees is the seeded one.
	ous, accounts := shape.Tree().Size()
	if ous != 26 || accounts != 1000 {
		t.Errorf("the tree has %d OUs and %d accounts", ous, accounts)
	}
	for _, r := range planRegions {
		if c, s := emu.Connections(MemberAccount(999), r), emu.Services(MemberAccount(999), r); len(c) != 4 || len(s) != 3 {
			t.Errorf("%s: %d connections and %d services, want 4 and 3", r, len(c), len(s))
		}
	}
}

func TestOrgShapeSpreadsAccounts(t *testing.T) {
	shape := OrgShape{Accounts: 23, Fanout: []int{2, 3}}
	tree := shape.Tree()
	var got []int
	for _, c := range tree.Children {
		for _, l := range c.Children {
			got = append(got, l.Accounts)
		}
	}
	if want := []int{4, 4, 4, 4, 4, 3}; len(got) != 6 || got[0] != want[0] || got[4] != want[4] || got[5] != want[5] {
		t.Errorf("leaves hold %v, want %v", got, want)
	}
	if _, a := (OrgShape{Accounts: 7}).Tree().Size(); a != 7 {
		t.Errorf("without fan-out the top OU holds %d accounts, want 7", a)
	}
	for _, bad := range []OrgShape{{}, {Accounts: 1, Fanout: []int{0}}, {Accounts: 1, Fanout: []int{1, 1, 1, 1, 1}}} {
		if _, err := OrgSeed(bad, planRegions, NewPopulation(1, 1)); err == nil {
			t.Errorf("OrgSeed(%+v) accepted", bad)
		}
	}
	// Four levels below the top OU are five below the root: the most the
	// service (and the emulator) allows.
	seed, err := OrgSeed(OrgShape{Accounts: 3, Fanout: []int{1, 1, 1, 1}}, planRegions[:1], NewPopulation(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := apprunnerlocal.New(apprunnerlocal.Options{}).Load(seed); err != nil {
		t.Fatal(err)
	}
}
