package cleanup

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Scope is an account and region to clean up, and the IAM role through
// which the function reaches it ("" for its own credentials).
type Scope struct {
	Account, Region, RoleARN string
}

// Runner runs requests; *Engine is one.
type Runner interface {
	Run(ctx context.Context, reqs []Request) *Report
}

// EngineFactory returns the engine of an offboarded scope. Such engines
// sweep without a minimum age; the factory may keep them for reuse. It is
// called for several scopes at once.
type EngineFactory func(ctx context.Context, s Scope) (Runner, error)

// maxOffboardRegions bounds the regions one request may name; App Runner is
// offered in fewer.
const maxOffboardRegions = 30

// scopeParallelism is how many scopes are worked on at once: each engine
// bounds its own calls, and App Runner's limits are per account and region.
const scopeParallelism = 4

var roleARNRE = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$`)

// IsRoleARN reports whether s is an IAM role ARN an offboarding request may
// name; configuration is checked against the same pattern at start.
func IsRoleARN(s string) bool { return roleARNRE.MatchString(s) }

// IsAccountID reports whether s is a 12-digit AWS account ID.
func IsAccountID(s string) bool { return accountRE.MatchString(s) }

// Dispatcher sends offboarding requests to the engines of their scopes and
// every other request to the home engine, and merges what they report.
type Dispatcher struct {
	home     Runner
	factory  EngineFactory
	allowed  []string
	parallel int
}

// NewDispatcher returns a dispatcher. roles lists the IAM roles offboarding
// requests may name; with none, offboarding is off. The home account too is
// offboarded only through a listed role: dropping the minimum age is an
// operator's decision, not a message sender's.
func NewDispatcher(home Runner, factory EngineFactory, roles []string) *Dispatcher {
	return &Dispatcher{home: home, factory: factory, allowed: roles, parallel: scopeParallelism}
}

// Run runs the requests and returns one report for them all.
func (d *Dispatcher) Run(ctx context.Context, reqs []Request) *Report {
	var (
		homeReqs []Request
		byScope  = map[Scope][]Request{}
	)
	for _, req := range reqs {
		if req.Invalid != "" || req.Action != ActionOffboard {
			homeReqs = append(homeReqs, req)
			continue
		}
		scopes, why := d.scopes(req)
		if why != "" {
			homeReqs = append(homeReqs, Request{ID: req.ID, Invalid: why, Raw: describeOffboard(req)})
			continue
		}
		for _, s := range scopes {
			// One engine per account and region, whichever allowed role
			// reaches it: two would sweep the same connections at once.
			key := s
			for k := range byScope {
				if k.Account == s.Account && k.Region == s.Region {
					key = k
				}
			}
			byScope[key] = append(byScope[key], Request{
				ID: req.ID, Action: ActionSweep, DryRun: req.DryRun, WaitForServices: req.WaitForServices,
			})
		}
	}
	if len(byScope) == 0 {
		return d.home.Run(ctx, homeReqs)
	}

	start := time.Now()
	var (
		mu      sync.Mutex
		reports []*Report
	)
	add := func(r *Report) {
		mu.Lock()
		reports = append(reports, r)
		mu.Unlock()
	}
	if len(homeReqs) > 0 {
		add(d.home.Run(ctx, homeReqs))
	}
	scopes := slices.SortedFunc(maps.Keys(byScope), func(a, b Scope) int {
		return strings.Compare(a.Account+a.Region+a.RoleARN, b.Account+b.Region+b.RoleARN)
	})
	forEach(ctx, d.parallel, len(scopes), func(ctx context.Context, i int) {
		s := scopes[i]
		eng, err := d.factory(ctx, s)
		if err != nil {
			add(scopeFailed(s, byScope[s], fmt.Sprintf("reach account %s in %s: %s", s.Account, s.Region, errText(err))))
			return
		}
		add(eng.Run(ctx, byScope[s]))
	}, func(i int, reason string) {
		s := scopes[i]
		add(scopeFailed(s, byScope[s], fmt.Sprintf("account %s in %s: %s", s.Account, s.Region, reason)))
	})
	return merge(reqs, reports, time.Since(start))
}

// scopes checks an offboarding request and lists the scopes it names, or
// says why it cannot be done.
func (d *Dispatcher) scopes(req Request) ([]Scope, string) {
	if len(req.ConnectionARNs) > 0 {
		return nil, "offboarding takes every connection of the account: it takes no connectionArns"
	}
	if len(req.Regions) == 0 {
		return nil, `offboarding needs "regions", e.g. ["us-east-1","eu-west-1"]`
	}
	if len(req.Regions) > maxOffboardRegions {
		return nil, fmt.Sprintf("%d regions: at most %d per request", len(req.Regions), maxOffboardRegions)
	}
	if req.RoleARN == "" {
		return nil, `offboarding needs "roleArn": an IAM role of the account to offboard, listed in OFFBOARD_ROLE_ARNS`
	}
	m := roleARNRE.FindStringSubmatch(req.RoleARN)
	if m == nil {
		return nil, fmt.Sprintf("roleArn %q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", req.RoleARN)
	}
	account := m[2]
	if req.AccountID != "" && req.AccountID != account {
		return nil, fmt.Sprintf("roleArn %s belongs to account %s, not to accountId %s", req.RoleARN, account, req.AccountID)
	}
	if !slices.Contains(d.allowed, req.RoleARN) {
		return nil, fmt.Sprintf("role %s is not one this function may assume (OFFBOARD_ROLE_ARNS)", req.RoleARN)
	}
	partition := strings.SplitN(req.RoleARN, ":", 3)[1]
	var out []Scope
	for _, r := range req.Regions {
		r = strings.TrimSpace(r)
		if !regionRE.MatchString(r) {
			return nil, fmt.Sprintf("region %q is not a region name such as us-east-1", r)
		}
		// Only regions where App Runner exists are reached: each scope
		// costs credentials, an engine and connections, which a request
		// must not be able to multiply with made-up regions.
		if !HasAppRunner(partition, r) {
			offered := "App Runner is offered in none of its regions"
			if rs := AppRunnerRegions(partition); len(rs) > 0 {
				offered = "App Runner is offered in " + strings.Join(rs, ", ")
			}
			return nil, fmt.Sprintf("region %q: no App Runner there (partition %s: %s)", r, partition, offered)
		}
		s := Scope{Account: account, Region: r, RoleARN: req.RoleARN}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, ""
}

func describeOffboard(req Request) string {
	return fmt.Sprintf("offboard account=%s role=%s regions=%s", req.AccountID, req.RoleARN, strings.Join(req.Regions, ","))
}

// scopeFailed reports a scope that could not be reached: its requests fail,
// so SQS (or the caller) retries them.
func scopeFailed(s Scope, reqs []Request, reason string) *Report {
	var ids []string
	dry := true
	for _, r := range reqs {
		ids = append(ids, r.ID)
		dry = dry && r.DryRun != nil && *r.DryRun
	}
	return &Report{DryRun: dry, Results: []Result{{
		ConnectionARN: everyConnection(PartitionOf(s.Region), s.Region, s.Account),
		Outcome:       OutcomeFailed,
		Reason:        reason,
		RequestIDs:    ids,
	}}}
}

// mergePrecedence orders the outcomes two engines of one dispatch may give
// the same connection (the home engine and an offboarding engine of the
// same account and region): the goal reached first, then what must be
// retried, then what kept it.
var mergePrecedence = map[Outcome]int{
	OutcomeDeleted: 0, OutcomeAlreadyDeleted: 1, OutcomeFailed: 2, OutcomeInUse: 3,
	OutcomeProtected: 4, OutcomeTooYoung: 5, OutcomeWouldDelete: 6,
}

// merge combines the reports of one dispatch, one result per connection:
// where two engines decided the same connection, the outcome first in
// mergePrecedence stands for the requests of both. Invalid results are about
// an input, not a connection, and are all kept.
func merge(reqs []Request, reports []*Report, took time.Duration) *Report {
	out := &Report{
		Action:   runAction(reqs),
		DryRun:   len(reports) > 0,
		Results:  []Result{},
		APICalls: map[string]int{},
		Duration: took,
	}
	at := map[string]int{} // connection ARN -> index in out.Results
	for _, r := range reports {
		out.DryRun = out.DryRun && r.DryRun
		for op, n := range r.APICalls {
			out.APICalls[op] += n
		}
		for _, res := range r.Results {
			i, seen := at[res.ConnectionARN]
			if res.Outcome == OutcomeInvalid || !seen {
				if res.Outcome != OutcomeInvalid {
					at[res.ConnectionARN] = len(out.Results)
				}
				out.Results = append(out.Results, res)
				continue
			}
			prev := &out.Results[i]
			ids := slices.Concat(prev.RequestIDs, res.RequestIDs)
			if mergePrecedence[res.Outcome] < mergePrecedence[prev.Outcome] {
				*prev = res
			}
			prev.RequestIDs = nil
			for _, id := range ids {
				if !slices.Contains(prev.RequestIDs, id) {
					prev.RequestIDs = append(prev.RequestIDs, id)
				}
			}
		}
	}
	out.tally()
	return out
}
