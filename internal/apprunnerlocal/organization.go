package apprunnerlocal

import (
	"cmp"
	"slices"
	"time"
)

// The organization that the Organizations operations read. Only a seed
// creates it (Seed.Organization), and nothing changes it afterwards, so
// its lists are sorted once, when it is built.

// Account statuses of the Organizations model (Account.Status), and the
// account states (Account.State) that go with them.
const (
	AccountActive         = "ACTIVE"
	AccountSuspended      = "SUSPENDED"
	AccountPendingClosure = "PENDING_CLOSURE"

	AccountStatePendingActivation = "PENDING_ACTIVATION"
	AccountStateClosed            = "CLOSED"
)

// accountStates maps each status to the states an account of that status
// may be in; the first is the default.
var accountStates = map[string][]string{
	AccountActive:         {AccountActive, AccountStatePendingActivation},
	AccountSuspended:      {AccountSuspended, AccountStateClosed},
	AccountPendingClosure: {AccountPendingClosure},
}

type organization struct {
	id, arn    string
	management *orgAccount
	root       *orgParent
	parents    map[string]*orgParent  // the root and the OUs, by ID
	accounts   map[string]*orgAccount // by ID
	all        []*orgAccount          // every account, sorted by ID
}

// orgParent is the root or an organizational unit: what may contain OUs
// and accounts.
type orgParent struct {
	id, arn, name string
	parent        *orgParent    // nil for the root
	ous           []*orgParent  // sorted by ID
	accounts      []*orgAccount // sorted by ID
}

func (p *orgParent) isRoot() bool { return p.parent == nil }

// parentType is the Type of p in ListParents and of a child in
// ListChildren.
func (p *orgParent) parentType() string {
	if p.isRoot() {
		return "ROOT"
	}
	return "ORGANIZATIONAL_UNIT"
}

type orgAccount struct {
	id, arn, name, email string
	status, state        string
	joinedMethod         string
	joinedAt             time.Time
	parent               *orgParent
}

// account returns the account with this ID, or nil; org may be nil.
func (org *organization) account(id string) *orgAccount {
	if org == nil {
		return nil
	}
	return org.accounts[id]
}

// ou returns the organizational unit with this ID, or nil (also for the
// root's ID).
func (org *organization) ou(id string) *orgParent {
	if p := org.parents[id]; p != nil && !p.isRoot() {
		return p
	}
	return nil
}

// ARNs in the layout of the real service: every resource is named in the
// management account, under the organization's ID.
func orgARN(management, orgID string) string {
	return "arn:aws:organizations::" + management + ":organization/" + orgID
}

func orgRootARN(management, orgID, rootID string) string {
	return "arn:aws:organizations::" + management + ":root/" + orgID + "/" + rootID
}

func orgOUARN(management, orgID, ouID string) string {
	return "arn:aws:organizations::" + management + ":ou/" + orgID + "/" + ouID
}

func orgAccountARN(management, orgID, accountID string) string {
	return "arn:aws:organizations::" + management + ":account/" + orgID + "/" + accountID
}

// newOrganization builds the organization of a seed that passed
// validation; its accounts joined at joined.
func newOrganization(so *SeedOrganization, joined time.Time) *organization {
	mgmt := so.ManagementAccount
	org := &organization{
		id: so.ID, arn: orgARN(mgmt, so.ID),
		parents: map[string]*orgParent{}, accounts: map[string]*orgAccount{},
	}
	org.root = &orgParent{id: so.RootID, arn: orgRootARN(mgmt, so.ID, so.RootID), name: "Root"}
	org.parents[so.RootID] = org.root
	for _, ou := range so.OrganizationalUnits {
		org.parents[ou.ID] = &orgParent{id: ou.ID, arn: orgOUARN(mgmt, so.ID, ou.ID), name: ou.Name}
	}
	for _, ou := range so.OrganizationalUnits {
		p := org.parents[ou.ID]
		p.parent = org.parents[cmp.Or(ou.Parent, so.RootID)]
		p.parent.ous = append(p.parent.ous, p)
	}
	for _, sa := range so.Accounts {
		a := &orgAccount{
			id: sa.ID, arn: orgAccountARN(mgmt, so.ID, sa.ID),
			name: cmp.Or(sa.Name, "account-"+sa.ID), email: cmp.Or(sa.Email, "aws+"+sa.ID+"@example.com"),
			status: cmp.Or(sa.Status, AccountActive), joinedMethod: "CREATED", joinedAt: joined,
			parent: org.parents[cmp.Or(sa.Parent, so.RootID)],
		}
		a.state = cmp.Or(sa.State, accountStates[a.status][0])
		a.parent.accounts = append(a.parent.accounts, a)
		org.accounts[a.id] = a
		org.all = append(org.all, a)
	}
	org.management = org.accounts[mgmt]
	byID := func(a, b *orgAccount) int { return cmp.Compare(a.id, b.id) }
	slices.SortFunc(org.all, byID)
	for _, p := range org.parents {
		slices.SortFunc(p.accounts, byID)
		slices.SortFunc(p.ous, func(a, b *orgParent) int { return cmp.Compare(a.id, b.id) })
	}
	return org
}
