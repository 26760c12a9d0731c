package apprunnerlocal

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"unicode/utf8"
)

// SeedOrganization is the AWS organization that the Organizations
// operations read (organizations.go). Its JSON form, in a seed's
// "organization" member, is
//
//	{"id": "o-a1b2c3d4e5", "managementAccount": "123456789012", "rootId": "r-demo",
//	 "organizationalUnits": [{"id": "ou-demo-workloads", "name": "Workloads", "parent": "r-demo"}],
//	 "accounts": [{"id": "123456789012", "name": "management", "email": "aws@example.com",
//	               "parent": "r-demo", "status": "ACTIVE"}]}
//
// IDs follow the model's patterns; an OU's ID repeats its root's ("ou-"
// + the root's ID without "r-" + "-" + 8 to 32 lowercase letters or
// digits), as the real service's do. A parent left empty is the root.
// The management account must be one of the accounts.
type SeedOrganization struct {
	ID                  string                   `json:"id"`
	ManagementAccount   string                   `json:"managementAccount"`
	RootID              string                   `json:"rootId"`
	OrganizationalUnits []SeedOrganizationalUnit `json:"organizationalUnits,omitempty"`
	Accounts            []SeedOrgAccount         `json:"accounts"`
}

// SeedOrganizationalUnit is an OU, at most five levels below the root as
// in the real service.
type SeedOrganizationalUnit struct {
	ID     string `json:"id"`
	Name   string `json:"name"`             // 1 to 128 characters
	Parent string `json:"parent,omitempty"` // the root's or an OU's ID; the root when empty
}

// SeedOrgAccount is an account of the organization.
type SeedOrgAccount struct {
	ID     string `json:"id"`               // 12 digits
	Name   string `json:"name,omitempty"`   // 1 to 50 printable ASCII characters; "account-ID" when empty
	Email  string `json:"email,omitempty"`  // "aws+ID@example.com" when empty
	Parent string `json:"parent,omitempty"` // the root's or an OU's ID; the root when empty
	// Status is ACTIVE (the default), SUSPENDED or PENDING_CLOSURE.
	Status string `json:"status,omitempty"`
	// State is the account's lifecycle state, which the model pairs with
	// Status: ACTIVE (the default) or PENDING_ACTIVATION for an ACTIVE
	// account, SUSPENDED (the default) or CLOSED for a SUSPENDED one,
	// PENDING_CLOSURE for a PENDING_CLOSURE one.
	State string `json:"state,omitempty"`
}

// Patterns of the Organizations model, anchored: the service matches whole
// values. (The model writes ParentId's and ChildId's as ^(a)|(b)$, whose
// alternation would anchor only one end of each; the service means both.)
var (
	orgIDRE          = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	orgRootIDRE      = regexp.MustCompile(`^r-([0-9a-z]{4,32})$`)
	orgOUIDRE        = regexp.MustCompile(`^ou-([0-9a-z]{4,32})-[a-z0-9]{8,32}$`)
	orgParentIDRE    = regexp.MustCompile(`^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`)
	orgChildIDRE     = regexp.MustCompile(`^(\d{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`)
	orgAccountIDRE   = regexp.MustCompile(`^\d{12}$`)
	orgAccountNameRE = regexp.MustCompile(`^[\x20-\x7E]+$`)
	orgEmailRE       = regexp.MustCompile(`^[^\s@]*@[^\s@]*\.[^\s@]*$`)
)

// maxOUDepth is how many levels of OUs the real service allows below the
// root.
const maxOUDepth = 5

func (so *SeedOrganization) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !orgIDRE.MatchString(so.ID) {
		add("id %q: must match %s", so.ID, orgIDRE)
	}
	rootPart := ""
	if m := orgRootIDRE.FindStringSubmatch(so.RootID); m == nil {
		add("rootId %q: must match %s", so.RootID, orgRootIDRE)
	} else {
		rootPart = m[1]
	}

	// parentOf holds every OU's parent; the root is a parent too.
	parentOf := map[string]string{}
	isParent := map[string]bool{so.RootID: true}
	for i, ou := range so.OrganizationalUnits {
		m := orgOUIDRE.FindStringSubmatch(ou.ID)
		switch {
		case m == nil:
			add("organizationalUnits[%d]: id %q: must match %s", i, ou.ID, orgOUIDRE)
		case rootPart != "" && m[1] != rootPart:
			add("organizationalUnits[%d]: id %q: must start with ou-%s-, after its root %s", i, ou.ID, rootPart, so.RootID)
		case isParent[ou.ID]:
			add("organizationalUnits[%d]: id %s: used twice", i, ou.ID)
		}
		if n := utf8.RuneCountInString(ou.Name); n < 1 || n > 128 {
			add("organizationalUnits[%d] %s: name %q: must have 1 to 128 characters", i, ou.ID, ou.Name)
		}
		isParent[ou.ID] = true
		parentOf[ou.ID] = cmp.Or(ou.Parent, so.RootID)
	}
	for i, ou := range so.OrganizationalUnits {
		if !isParent[parentOf[ou.ID]] {
			add("organizationalUnits[%d] %s: parent %q: no such root or OU", i, ou.ID, ou.Parent)
			continue
		}
		depth := 1
		for p := parentOf[ou.ID]; p != so.RootID && isParent[p]; p = parentOf[p] {
			if depth++; depth > maxOUDepth {
				add("organizationalUnits[%d] %s: more than %d levels below the root, or in a cycle", i, ou.ID, maxOUDepth)
				break
			}
		}
	}

	isAccount := map[string]bool{}
	for i, a := range so.Accounts {
		switch {
		case !orgAccountIDRE.MatchString(a.ID):
			add("accounts[%d]: id %q: not 12 digits", i, a.ID)
		case isAccount[a.ID]:
			add("accounts[%d]: id %s: used twice", i, a.ID)
		}
		isAccount[a.ID] = true
		if a.Name != "" && (len(a.Name) > 50 || !orgAccountNameRE.MatchString(a.Name)) {
			add("accounts[%d] %s: name %q: must be 1 to 50 printable ASCII characters", i, a.ID, a.Name)
		}
		if a.Email != "" && (len(a.Email) < 6 || len(a.Email) > 64 || !orgEmailRE.MatchString(a.Email)) {
			add("accounts[%d] %s: email %q: must be an email address of 6 to 64 characters", i, a.ID, a.Email)
		}
		if !isParent[cmp.Or(a.Parent, so.RootID)] {
			add("accounts[%d] %s: parent %q: no such root or OU", i, a.ID, a.Parent)
		}
		states, ok := accountStates[cmp.Or(a.Status, AccountActive)]
		switch {
		case !ok:
			add("accounts[%d] %s: status %q: must be one of %v", i, a.ID, a.Status, sortedKeys(accountStates))
		case a.State != "" && !slices.Contains(states, a.State):
			add("accounts[%d] %s: state %q: an account of status %s must be in one of %v", i, a.ID, a.State, cmp.Or(a.Status, AccountActive), states)
		}
	}
	if !orgAccountIDRE.MatchString(so.ManagementAccount) || !isAccount[so.ManagementAccount] {
		add("managementAccount %q: must be the ID of one of the accounts", so.ManagementAccount)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("organization: %w", err)
	}
	return nil
}
