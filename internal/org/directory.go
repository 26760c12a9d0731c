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

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
)

// Directory says which accounts of the organization the function may
// reach: its own (home) account always, any other only while it is ACTIVE
// and below one of the allowed OUs. It is safe for concurrent use, and
// meant to live as long as the function's execution environment.
//
// It caches the parent of each OU it has learned, for its whole lifetime,
// without a TTL and at most maxCachedOUs of them (emptied when full).
// Organizations cannot move an OU (only accounts move, with MoveAccount)
// and never gives a deleted OU's ID to another, so an OU's parent never
// changes; an OU can only be deleted, once empty, and a plan naming a
// deleted one learns so when it lists it. An account's parent is never
// cached: accounts move, and a move into or out of an allowed OU counts at
// once.
type Directory struct {
	api     Organizations
	home    string
	allowed []string

	mu      sync.Mutex
	parents map[string]parent // OU ID → its parent
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

// NewDirectory returns the directory of the organization that api reads.
// home is the function's own account; allowedOUs are the OUs (or the root)
// below which other accounts may be reached: with none, no other account
// may.
func NewDirectory(api Organizations, home string, allowedOUs []string) *Directory {
	d := &Directory{api: api, home: home, parents: map[string]parent{}}
	for _, ou := range allowedOUs {
		if ou = strings.TrimSpace(ou); ou != "" && !slices.Contains(d.allowed, ou) {
			d.allowed = append(d.allowed, ou)
		}
	}
	return d
}

// Reachable says why account may not be reached, or "" if it may: the home
// account always; another only if AWS Organizations describes it as ACTIVE
// (Status, and State where present) and one of the allowed OUs is among
// its ancestors. err is only for calls that failed (throttling, server
// errors after the SDK's retries, access denied): an account outside the
// organization is a why, not an error.
func (d *Directory) Reachable(ctx context.Context, account string) (why string, err error) {
	switch {
	case account == d.home:
		return "", nil
	case !cleanup.IsAccountID(account):
		return fmt.Sprintf("%q is not an account ID: want 12 digits", cleanup.Excerpt(account, cleanup.InputExcerpt)), nil
	case len(d.allowed) == 0:
		return d.noneAllowed("account " + account), nil
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
	p, why, err := d.listParent(ctx, account)
	if err != nil {
		return "", err
	}
	if why != "" {
		return "account " + account + " " + why, nil
	}
	return d.below(ctx, "account "+account, p)
}

// Resolve returns the accounts a plan naming ous and accounts reaches,
// deduplicated and sorted, and each OU or account it refuses, and why.
// Each OU is expanded to every ACTIVE account below it, child OUs
// included, if it is one of the allowed OUs or below one; an account below
// it that is not ACTIVE is refused. Each named account is checked with
// Reachable. At most cleanup.MaxPlanAccounts accounts are reached: named
// accounts first, then the OUs' in the order named; the rest are refused,
// and no more of the organization is listed. err is only for calls that
// failed; the plan then reaches nothing.
func (d *Directory) Resolve(ctx context.Context, ous, accounts []string) (reach []string, refused []cleanup.Refusal, err error) {
	r := &resolution{d: d, reach: map[string]bool{}, refusedSet: map[string]bool{}, expanded: map[string]bool{}}
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
	reach      map[string]bool
	refused    []cleanup.Refusal
	refusedSet map[string]bool // subjects refused
	expanded   map[string]bool // OUs listed
	full       bool            // MaxPlanAccounts reached, and one more found
}

func (r *resolution) refuse(subject, reason string) {
	if !r.refusedSet[subject] {
		r.refusedSet[subject] = true
		r.refused = append(r.refused, cleanup.Refusal{Subject: subject, Reason: reason})
	}
}

// add adds account to the accounts reached, unless as many as a plan may
// reach are already; it reports whether account is reached.
func (r *resolution) add(account string) bool {
	if !r.reach[account] && len(r.reach) >= cleanup.MaxPlanAccounts {
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
		r.refuse(account, fmt.Sprintf("the plan already reaches %d accounts, as many as one plan may: plan account %s in another request", cleanup.MaxPlanAccounts, account))
		return nil
	}
	why, err := r.d.Reachable(ctx, account)
	switch {
	case err != nil:
		return err
	case why != "":
		r.refuse(account, why)
	case !r.add(account):
		r.refuse(account, fmt.Sprintf("the plan already reaches %d accounts, as many as one plan may: plan account %s in another request", cleanup.MaxPlanAccounts, account))
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
		r.refuse(ou, fmt.Sprintf("the plan reached %d accounts, as many as one plan may, before OU %s was listed: plan it in another request", cleanup.MaxPlanAccounts, ou))
		return nil
	case !cleanup.IsOUID(ou):
		r.refuse(ou, fmt.Sprintf("%q is not an organizational unit ID (ou-xxxx-xxxxxxxx)", cleanup.Excerpt(ou, cleanup.InputExcerpt)))
		return nil
	case len(r.d.allowed) == 0:
		r.refuse(ou, r.d.noneAllowed("OU "+ou))
		return nil
	}
	why, err := r.d.below(ctx, "OU "+ou, parent{id: ou})
	if err != nil {
		return err
	}
	if why != "" {
		r.refuse(ou, why)
		return nil
	}
	return r.expand(ctx, ou)
}

// expand lists every account below the allowed OU top, child OUs
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
				if why := inactive(id, a); why != "" && id != r.d.home {
					r.refuse(id, why)
					continue
				}
				if !r.add(id) {
					r.refuse(top, fmt.Sprintf("the plan reached %d accounts, as many as one plan may, before every account below OU %s: split the plan", cleanup.MaxPlanAccounts, top))
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

// below says why subject, whose parent (or itself, for an OU) is p, is not
// below an allowed OU, or "" if it is: it walks from p up to the root.
func (d *Directory) below(ctx context.Context, subject string, p parent) (why string, err error) {
	for range maxDepth {
		if slices.Contains(d.allowed, p.id) {
			return "", nil
		}
		if p.root {
			return fmt.Sprintf("%s is neither one of the allowed OUs (ORGANIZATION_OU_IDS: %s) nor below one", subject, strings.Join(d.allowed, ", ")), nil
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
	return fmt.Sprintf("%s cannot be reached: no OU is allowed (ORGANIZATION_OU_IDS is empty), so only the function's own account %s is", subject, d.home)
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
