package benchrun

import (
	"fmt"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// The organization of the plan benchmark. Its root's part ("bnch") is
// repeated in every OU's ID, as the real service's are.
const (
	OrgID      = "o-bench00001"
	OrgRootID  = "r-bnch"
	TopOUID    = "ou-bnch-workloads"
	MemberRole = "AppRunnerConnectionCleanup"
	// firstMember is the first member account's ID; the others follow it.
	firstMember = 200000000000
)

// OrgShape is the organization a plan benchmark seeds: Accounts member
// accounts below the top OU (TopOUID, under the root), which has
// Fanout[0] child OUs, each of them Fanout[1], and so on; the accounts
// are spread evenly over the OUs of the last level (over the top OU
// itself when Fanout is empty). The function's own account, the
// management account, sits at the root, outside every plan of the top OU.
type OrgShape struct {
	Accounts int
	Fanout   []int
}

// maxFanoutLevels is how many levels may nest below the top OU: OUs nest
// at most five levels below the root, and the top OU is the first.
const maxFanoutLevels = 4

// Validate says what is wrong with the shape, if anything.
func (s OrgShape) Validate() error {
	if s.Accounts < 1 || s.Accounts > request.MaxPlanAccounts {
		return fmt.Errorf("%d member accounts: one plan reaches 1 to %d", s.Accounts, request.MaxPlanAccounts)
	}
	if len(s.Fanout) > maxFanoutLevels {
		return fmt.Errorf("%d levels of OUs below the top OU: at most %d fit below the root", len(s.Fanout), maxFanoutLevels)
	}
	for _, f := range s.Fanout {
		if f < 1 {
			return fmt.Errorf("fan-out %v: each level needs at least one OU", s.Fanout)
		}
	}
	return nil
}

// Leaves returns the OUs of the last level.
func (s OrgShape) Leaves() int {
	n := 1
	for _, f := range s.Fanout {
		n *= f
	}
	return n
}

// Tree returns the shape as a bound sees it.
func (s OrgShape) Tree() OUTree {
	leaf := 0
	var build func(level int) OUTree
	build = func(level int) OUTree {
		if level == len(s.Fanout) {
			t := OUTree{Accounts: s.leafAccounts(leaf)}
			leaf++
			return t
		}
		t := OUTree{Children: make([]OUTree, s.Fanout[level])}
		for i := range t.Children {
			t.Children[i] = build(level + 1)
		}
		return t
	}
	return build(0)
}

// leafAccounts is how many accounts leaf OU i holds: ⌊A/leaves⌋, and one
// more for the first A mod leaves.
func (s OrgShape) leafAccounts(i int) int {
	n := s.Accounts / s.Leaves()
	if i < s.Accounts%s.Leaves() {
		n++
	}
	return n
}

// MemberAccount returns the ID of member account i.
func MemberAccount(i int) string { return fmt.Sprintf("%012d", firstMember+i) }

// OrgSeed returns the organization of shape, and in every member account
// and each of regions the population p (as Seed lays it out: half the
// connections in use), so that every work item of a plan of the top OU
// has a sweep to make. The OUs are named level by level; their IDs sort in
// the order they are listed.
func OrgSeed(shape OrgShape, regions []string, p Population) (*apprunnerlocal.Seed, error) {
	if err := shape.Validate(); err != nil {
		return nil, err
	}
	org := &apprunnerlocal.SeedOrganization{
		ID: OrgID, ManagementAccount: Account, RootID: OrgRootID,
		OrganizationalUnits: []apprunnerlocal.SeedOrganizationalUnit{{ID: TopOUID, Name: "Workloads", Parent: OrgRootID}},
		Accounts:            []apprunnerlocal.SeedOrgAccount{{ID: Account, Name: "management", Parent: OrgRootID}},
	}
	seed := &apprunnerlocal.Seed{Accounts: map[string]map[string]apprunnerlocal.SeedRegion{}, Organization: org}
	region := Seed(p).Accounts[Account][Region]

	member, leaf, serial := 0, 0, 0
	var build func(parent string, level int)
	build = func(parent string, level int) {
		if level == len(shape.Fanout) {
			for range shape.leafAccounts(leaf) {
				id := MemberAccount(member)
				member++
				org.Accounts = append(org.Accounts, apprunnerlocal.SeedOrgAccount{ID: id, Parent: parent})
				seed.Accounts[id] = make(map[string]apprunnerlocal.SeedRegion, len(regions))
				for _, r := range regions {
					// The resources are shared: Load copies them.
					seed.Accounts[id][r] = region
				}
			}
			leaf++
			return
		}
		for range shape.Fanout[level] {
			serial++
			id := fmt.Sprintf("ou-bnch-l%dn%06d", level+1, serial)
			org.OrganizationalUnits = append(org.OrganizationalUnits, apprunnerlocal.SeedOrganizationalUnit{
				ID: id, Name: fmt.Sprintf("level %d, OU %d", level+1, serial), Parent: parent,
			})
			build(id, level+1)
		}
	}
	build(TopOUID, 0)
	return seed, nil
}
