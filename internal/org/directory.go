package org

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// Directory says which accounts of the organization the function may
// reach, and for what. Sweeps, which keep young connections, reach the
// function's own (home) account and the ACTIVE accounts below the sweep
// OUs (ORGANIZATION_OU_IDS); offboarding, which deletes whatever the age,
// reaches only the ACTIVE accounts below the offboarding OU
// (OFFBOARD_OU_ID), and the home account only when the operator said so
// (OFFBOARD_HOME_ACCOUNT). The organization's management account is never
// a target but for a sweep of the home account with the function's own
// credentials. It is safe for concurrent use, and meant to live as long as
// the function's execution environment.
//
// It caches the parent of each OU it has learned, for its whole lifetime,
// without a TTL and at most maxCachedOUs of them (emptied when full).
// Organizations cannot move an OU (only accounts move, with MoveAccount)
// and never gives a deleted OU's ID to another, so an OU's parent never
// changes; an OU can only be deleted, once empty, and a plan naming a
// deleted one learns so when it lists it. It caches the management account
// too, which an organization never changes. An account's parent is never
// cached: accounts move, and a move into or out of an OU counts at once.
type Directory struct {
	api          Organizations
	home         string
	sweepOUs     []string
	offboardOU   string
	offboardHome bool

	mu         sync.Mutex
	parents    map[string]parent // OU ID → its parent
	management *string           // the management account, once known; "" for no organization
	// mgmtMu makes one DescribeOrganization serve the work items that
	// need it at once.
	mgmtMu sync.Mutex
}

// parent is the parent of an OU or account: an OU or the root.
type parent struct {
	id   string
	root bool
}

const (
	// maxCachedOUs bounds the OUs whose parents a Directory remembers:
	// more than most organizations have; a larger one only costs more
	// ListParents calls.
	maxCachedOUs = 4096
	// maxDepth bounds a walk up to the root: OUs nest at most five levels
	// below it.
	maxDepth = 16
	// pageSize is the largest page the list operations return.
	pageSize = 20
)

// Settings say what a Directory lets the function reach.
type Settings struct {
	// Home is the function's own account.
	Home string
	// SweepOUs are the OUs (or the root) below which accounts may be
	// swept (ORGANIZATION_OU_IDS); with none, no other account may.
	SweepOUs []string
	// OffboardOU is the OU below which accounts may be offboarded
	// (OFFBOARD_OU_ID); empty: no other account may.
	OffboardOU string
	// OffboardHome lets the home account be offboarded
	// (OFFBOARD_HOME_ACCOUNT): the operator's decision, never a sender's.
	OffboardHome bool
}

// NewDirectory returns the directory of the organization that api reads.
func NewDirectory(api Organizations, s Settings) *Directory {
	d := &Directory{api: api, home: s.Home, offboardOU: strings.TrimSpace(s.OffboardOU), offboardHome: s.OffboardHome, parents: map[string]parent{}}
	for _, ou := range s.SweepOUs {
		if ou = strings.TrimSpace(ou); ou != "" && !slices.Contains(d.sweepOUs, ou) {
			d.sweepOUs = append(d.sweepOUs, ou)
		}
	}
	return d
}

// configured reports whether organization plans are configured at all;
// without them the function may not read Organizations, and is not asked
// to.
func (d *Directory) configured() bool {
	return len(d.sweepOUs) > 0 || d.offboardOU != ""
}

// Reachable says why account may not be reached by action (a sweep or an
// offboarding), or "" if it may, asking AWS Organizations afresh: the
// planner's check. Sweeps reach the home account always, another only if
// Organizations describes it as ACTIVE (Status, and State where present)
// and one of the sweep OUs is among its ancestors; offboarding reaches the
// home account only with OffboardHome, another only if it is ACTIVE and
// below the offboarding OU. The management account is never reached but
// for a sweep of the home account. err is only for calls that failed
// (throttling, server errors after the SDK's retries, access denied): an
// account outside the organization is a why, not an error.
func (d *Directory) Reachable(ctx context.Context, account string, action request.Action) (why string, err error) {
	if why, done, err := d.guard(ctx, account, action, false); done || err != nil {
		return why, err
	}
	out, err := d.api.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(account)})
	if err != nil {
		if why := outside(err, "account "+account); why != "" {
			return why, nil
		}
		return "", fmt.Errorf("describe account %s: %w", account, err)
	}
	if out.Account == nil {
		return "", fmt.Errorf("describe account %s: the answer describes no account", account)
	}
	if why := inactive(account, *out.Account); why != "" {
		return why, nil
	}
	return d.placed(ctx, account, action)
}

// Admit says why a work item of this function's own planner may not run
// for account, or "" if it may. The planner checked the account with
// Reachable moments ago, so only what can have changed since, or what
// matters most, is asked again: an offboarding's account must still be
// below the offboarding OU (one ListParents call, the OUs above it
// cached), since an account moved in by mistake may have been moved back;
// and no work item reaches the management account, or the home account
// through viaRole (the member role, for the home account outside the
// function's region) when it is the management account. A sweep's OUs are
// not asked again: a sweep keeps young connections, and a thousand-account
// plan must not cost Organizations two calls per work item.
func (d *Directory) Admit(ctx context.Context, account string, action request.Action, viaRole bool) (why string, err error) {
	if why, done, err := d.guard(ctx, account, action, viaRole); done || err != nil {
		return why, err
	}
	if action != request.ActionOffboard {
		return "", nil
	}
	why, err = d.placed(ctx, account, action)
	if why != "" {
		why = fmt.Sprintf("account %s is no longer below the offboarding OU %s (OFFBOARD_OU_ID), as it was when the plan was made: left alone (%s)",
			account, d.offboardOU, why)
	}
	return why, err
}

// guard applies the rules that need no look-up of account itself: its
// form, the home account's, the management account's, and whether any OU
// is configured for action. done says the answer is final.
func (d *Directory) guard(ctx context.Context, account string, action request.Action, viaRole bool) (why string, done bool, err error) {
	offboard := action == request.ActionOffboard
	switch {
	case !request.IsAccountID(account):
		return fmt.Sprintf("%q is not an account ID: want 12 digits", request.Excerpt(account, request.InputExcerpt)), true, nil
	case account == d.home && offboard && !d.offboardHome:
		return fmt.Sprintf("account %s is the function's own: offboarding it (every free connection, whatever its age) needs OFFBOARD_HOME_ACCOUNT=true", account), true, nil
	case account == d.home && !offboard && !viaRole:
		// The function's own account in its own region, with its own
		// credentials: what the schedule sweeps anyway.
		return "", true, nil
	}
	// Settings first: without any OU for action the function may not
	// read Organizations at all, and the answer needs no call.
	switch {
	case account == d.home:
	case offboard && d.offboardOU == "":
		return fmt.Sprintf("account %s cannot be offboarded: no offboarding OU is configured (OFFBOARD_OU_ID), and offboarding reaches only accounts below it", account), true, nil
	case !offboard && len(d.sweepOUs) == 0:
		return d.noneAllowed("account " + account), true, nil
	}
	if d.configured() {
		mgmt, err := d.managementAccount(ctx)
		if err != nil {
			return "", true, err
		}
		if account == mgmt {
			return fmt.Sprintf("account %s is the organization's management account: it is never offboarded, and never swept through the member role", account), true, nil
		}
	}
	if account == d.home {
		// Offboarding allowed by the operator, or a sweep through the role.
		return "", true, nil
	}
	return "", false, nil
}

// placed says why account is not below the OUs of action, or "" if it is.
func (d *Directory) placed(ctx context.Context, account string, action request.Action) (why string, err error) {
	p, why, err := d.listParent(ctx, account)
	if err != nil {
		return "", err
	}
	if why != "" {
		return "account " + account + " " + why, nil
	}
	return d.below(ctx, "account "+account, p, action)
}

// ous are the OUs below which action reaches accounts.
func (d *Directory) ous(action request.Action) []string {
	if action == request.ActionOffboard {
		return []string{d.offboardOU}
	}
	return d.sweepOUs
}

// ManagementAccount returns the organization's management account, ""
// when organization plans are not configured (the function may then not
// read Organizations) or the account belongs to no organization.
func (d *Directory) ManagementAccount(ctx context.Context) (string, error) {
	if !d.configured() {
		return "", nil
	}
	return d.managementAccount(ctx)
}

// managementAccount returns the organization's management account, asked
// once (DescribeOrganization) and then remembered; "" when the function's
// account belongs to no organization.
func (d *Directory) managementAccount(ctx context.Context) (string, error) {
	d.mgmtMu.Lock()
	defer d.mgmtMu.Unlock()
	d.mu.Lock()
	known := d.management
	d.mu.Unlock()
	if known != nil {
		return *known, nil
	}
	out, err := d.api.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	var mgmt string
	switch {
	case err != nil:
		var notInUse *types.AWSOrganizationsNotInUseException
		if !errors.As(err, &notInUse) {
			return "", fmt.Errorf("find the organization's management account (DescribeOrganization): %w", err)
		}
	case out.Organization == nil || !request.IsAccountID(aws.ToString(out.Organization.MasterAccountId)):
		return "", errors.New("find the organization's management account (DescribeOrganization): the answer names none")
	default:
		mgmt = aws.ToString(out.Organization.MasterAccountId)
	}
	d.mu.Lock()
	d.management = &mgmt
	d.mu.Unlock()
	return mgmt, nil
}

// Resolve returns the accounts a plan naming ous and accounts reaches,
// deduplicated and sorted, and each OU or account it refuses, and why.
// Each OU is expanded to every ACTIVE account below it, child OUs
// included, if it is one of action's OUs (the sweep OUs, or the offboarding
// OU) or below one; an account below it that Reachable would refuse (not
// ACTIVE, the management account, the home account for an offboarding
// without OffboardHome) is refused. Each named account is checked with
// Reachable. At most cleanup.MaxPlanAccounts accounts are reached: named
// accounts first, then the OUs' in the order named; the rest are refused,
// and no more of the organization is listed. err is only for calls that
// failed; the plan then reaches nothing.
func (d *Directory) Resolve(ctx context.Context, action request.Action, ous, accounts []string) (reach []string, refused []request.Refusal, err error) {
	r := &resolution{d: d, action: action, reach: map[string]bool{}, refusedSet: map[string]bool{}, expanded: map[string]bool{}}
	for _, a := range accounts {
		if err := r.account(ctx, strings.TrimSpace(a)); err != nil {
			return nil, nil, err
		}
	}
	for _, ou := range ous {
		if err := r.ou(ctx, strings.TrimSpace(ou)); err != nil {
			return nil, nil, err
		}
	}
	reach = make([]string, 0, len(r.reach))
	for a := range r.reach {
		reach = append(reach, a)
	}
	slices.Sort(reach)
	return reach, r.refused, nil
}

// resolution is one Resolve under way.
type resolution struct {
	d          *Directory
	action     request.Action
	reach      map[string]bool
	refused    []request.Refusal
	refusedSet map[string]bool // subjects refused
	expanded   map[string]bool // OUs listed
	full       bool            // MaxPlanAccounts reached, and one more found
}

func (r *resolution) refuse(subject, reason string) {
	if !r.refusedSet[subject] {
		r.refusedSet[subject] = true
		r.refused = append(r.refused, request.Refusal{Subject: subject, Reason: reason})
	}
}

// add adds account to the accounts reached, unless as many as a plan may
// reach are already; it reports whether account is reached.
func (r *resolution) add(account string) bool {
	if !r.reach[account] && len(r.reach) >= request.MaxPlanAccounts {
		r.full = true
		return false
	}
	r.reach[account] = true
	return true
}

// account checks one named account.
func (r *resolution) account(ctx context.Context, account string) error {
	if r.reach[account] || r.refusedSet[account] {
		return nil
	}
	if r.full {
		r.refuse(account, fmt.Sprintf("the plan already reaches %d accounts, as many as one plan may: plan account %s in another request", request.MaxPlanAccounts, account))
		return nil
	}
	why, err := r.d.Reachable(ctx, account, r.action)
	switch {
	case err != nil:
		return err
	case why != "":
		r.refuse(account, why)
	case !r.add(account):
		r.refuse(account, fmt.Sprintf("the plan already reaches %d accounts, as many as one plan may: plan account %s in another request", request.MaxPlanAccounts, account))
	}
	return nil
}

// ou checks one named OU and expands it.
func (r *resolution) ou(ctx context.Context, ou string) error {
	switch {
	case r.expanded[ou] || r.refusedSet[ou]:
		// Named twice, or below an OU named before it.
		return nil
	case r.full:
		r.refuse(ou, fmt.Sprintf("the plan reached %d accounts, as many as one plan may, before OU %s was listed: plan it in another request", request.MaxPlanAccounts, ou))
		return nil
	case !request.IsOUID(ou):
		r.refuse(ou, fmt.Sprintf("%q is not an organizational unit ID (ou-xxxx-xxxxxxxx)", request.Excerpt(ou, request.InputExcerpt)))
		return nil
	case r.action == request.ActionOffboard && r.d.offboardOU == "":
		r.refuse(ou, fmt.Sprintf("OU %s cannot be offboarded: no offboarding OU is configured (OFFBOARD_OU_ID), and offboarding reaches only accounts below it", ou))
		return nil
	case r.action != request.ActionOffboard && len(r.d.sweepOUs) == 0:
		r.refuse(ou, r.d.noneAllowed("OU "+ou))
		return nil
	}
	why, err := r.d.below(ctx, "OU "+ou, parent{id: ou}, r.action)
	if err != nil {
		return err
	}
	if why != "" {
		r.refuse(ou, why)
		return nil
	}
	return r.expand(ctx, ou)
}

// expand lists every account below the OU top, child OUs
// included, until the plan is full.
func (r *resolution) expand(ctx context.Context, top string) error {
	stack := []string{top}
	for len(stack) > 0 {
		ou := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if r.expanded[ou] {
			continue
		}
		r.expanded[ou] = true

		accounts := organizations.NewListAccountsForParentPaginator(r.d.api, &organizations.ListAccountsForParentInput{
			ParentId: aws.String(ou), MaxResults: aws.Int32(pageSize),
		})
		for accounts.HasMorePages() {
			page, err := accounts.NextPage(ctx)
			if err != nil {
				if why := outside(err, "OU "+ou); why != "" {
					// Deleted since it was learned; below top, it had no
					// accounts left when it was.
					if ou == top {
						r.refuse(top, why)
					}
					break
				}
				return fmt.Errorf("list the accounts of OU %s: %w", ou, err)
			}
			for _, a := range page.Accounts {
				id := aws.ToString(a.Id)
				why, err := r.listed(ctx, id, a)
				if err != nil {
					return err
				}
				if why != "" {
					r.refuse(id, why)
					continue
				}
				if !r.add(id) {
					r.refuse(top, fmt.Sprintf("the plan reached %d accounts, as many as one plan may, before every account below OU %s: split the plan", request.MaxPlanAccounts, top))
					return nil
				}
			}
		}

		children := organizations.NewListOrganizationalUnitsForParentPaginator(r.d.api, &organizations.ListOrganizationalUnitsForParentInput{
			ParentId: aws.String(ou), MaxResults: aws.Int32(pageSize),
		})
		var found []string
		for children.HasMorePages() {
			page, err := children.NextPage(ctx)
			if err != nil {
				if outside(err, "OU "+ou) != "" {
					break
				}
				return fmt.Errorf("list the OUs of OU %s: %w", ou, err)
			}
			for _, c := range page.OrganizationalUnits {
				id := aws.ToString(c.Id)
				r.d.remember(id, parent{id: ou})
				found = append(found, id)
			}
		}
		// Listed first, expanded first.
		slices.Reverse(found)
		stack = append(stack, found...)
	}
	return nil
}

// listed says why an account listed below one of the plan's OUs is not
// reached, or "" if it is: the rules of Reachable, with what the listing
// already says of it.
func (r *resolution) listed(ctx context.Context, id string, a types.Account) (why string, err error) {
	// The home account is reached whatever its status, as Reachable does.
	if id != r.d.home {
		if why := inactive(id, a); why != "" {
			return why, nil
		}
	}
	why, _, err = r.d.guard(ctx, id, r.action, false)
	return why, err
}

// below says why subject, whose parent (or itself, for an OU) is p, is not
// below one of action's OUs, or "" if it is: it walks from p up to the
// root.
func (d *Directory) below(ctx context.Context, subject string, p parent, action request.Action) (why string, err error) {
	ous := d.ous(action)
	for range maxDepth {
		if slices.Contains(ous, p.id) {
			return "", nil
		}
		if p.root {
			if action == request.ActionOffboard {
				return fmt.Sprintf("%s is neither the offboarding OU (OFFBOARD_OU_ID: %s) nor below it", subject, d.offboardOU), nil
			}
			return fmt.Sprintf("%s is neither one of the sweep OUs (ORGANIZATION_OU_IDS: %s) nor below one", subject, strings.Join(ous, ", ")), nil
		}
		next, why, err := d.parentOf(ctx, p.id)
		if err != nil {
			return "", err
		}
		if why != "" {
			if own := "OU " + p.id; subject != own {
				return subject + ": " + own + " " + why, nil
			}
			return subject + " " + why, nil
		}
		p = next
	}
	return "", fmt.Errorf("%s: no root within %d levels above it", subject, maxDepth)
}

// parentOf returns the parent of the OU ou, from the cache or from
// ListParents.
func (d *Directory) parentOf(ctx context.Context, ou string) (p parent, why string, err error) {
	d.mu.Lock()
	p, ok := d.parents[ou]
	d.mu.Unlock()
	if ok {
		return p, "", nil
	}
	p, why, err = d.listParent(ctx, ou)
	if why == "" && err == nil {
		d.remember(ou, p)
	}
	return p, why, err
}

// listParent asks AWS Organizations for the parent of child, an account or
// an OU; why says when child is not in the organization.
func (d *Directory) listParent(ctx context.Context, child string) (p parent, why string, err error) {
	out, err := d.api.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(child)})
	if err != nil {
		if why := outside(err, ""); why != "" {
			return parent{}, why, nil
		}
		return parent{}, "", fmt.Errorf("list the parents of %s: %w", child, err)
	}
	if len(out.Parents) == 0 || aws.ToString(out.Parents[0].Id) == "" {
		return parent{}, "", fmt.Errorf("list the parents of %s: the answer names no parent", child)
	}
	return parent{id: aws.ToString(out.Parents[0].Id), root: out.Parents[0].Type == types.ParentTypeRoot}, "", nil
}

// remember caches the parent of an OU.
func (d *Directory) remember(ou string, p parent) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.parents) >= maxCachedOUs {
		clear(d.parents)
	}
	d.parents[ou] = p
}

func (d *Directory) noneAllowed(subject string) string {
	return fmt.Sprintf("%s cannot be swept: no sweep OU is configured (ORGANIZATION_OU_IDS is empty), so only the function's own account %s is", subject, d.home)
}

// outside says, for an error of AWS Organizations that means the subject
// is not in the organization, why; "" for any other error. subject may be
// empty, for a why that follows its subject.
func outside(err error, subject string) string {
	var (
		account  *types.AccountNotFoundException
		child    *types.ChildNotFoundException
		par      *types.ParentNotFoundException
		ou       *types.OrganizationalUnitNotFoundException
		notInUse *types.AWSOrganizationsNotInUseException
	)
	why := ""
	switch {
	case errors.As(err, &account), errors.As(err, &child), errors.As(err, &par), errors.As(err, &ou):
		why = "is not in the organization"
	case errors.As(err, &notInUse):
		why = "cannot be reached: the function's account belongs to no organization"
	default:
		return ""
	}
	if subject == "" {
		return why
	}
	return subject + " " + why
}

// inactive says why an account Organizations describes is not ACTIVE, or
// "" if it is: every status field it has (Status, and the newer State)
// must say so.
func inactive(id string, a types.Account) string {
	switch {
	case a.Status == "" && a.State == "":
		return fmt.Sprintf("account %s has no status in AWS Organizations: only ACTIVE accounts are reached", id)
	case a.State != "" && a.State != types.AccountStateActive:
		return fmt.Sprintf("account %s is %s, not ACTIVE: only ACTIVE accounts are reached", id, a.State)
	case a.Status != "" && a.Status != types.AccountStatusActive:
		return fmt.Sprintf("account %s is %s, not ACTIVE: only ACTIVE accounts are reached", id, a.Status)
	}
	return ""
}
