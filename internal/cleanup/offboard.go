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

// Dispatcher sends offboarding requests to the engines of their scopes and
// every other request to the home engine, and merges what they report.
type Dispatcher struct {
	home     Runner
	scope    Scope // the home engine's account and region
	factory  EngineFactory
	allowed  []string
	parallel int
}

// NewDispatcher returns a dispatcher. roles lists the IAM roles offboarding
// requests may name; with none, only the home account's home region can be
// offboarded (no other can be reached).
func NewDispatcher(home Runner, account, region string, factory EngineFactory, roles []string) *Dispatcher {
	return &Dispatcher{home: home, scope: Scope{Account: account, Region: region}, factory: factory, allowed: roles, parallel: scopeParallelism}
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
			byScope[s] = append(byScope[s], Request{
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
		return strings.Compare(a.Account+a.Region, b.Account+b.Region)
	})
	forEach(ctx, d.parallel, len(scopes), func(ctx context.Context, i int) {
		s := scopes[i]
		eng, err := d.factory(ctx, s)
		if err != nil {
			add(scopeFailed(s, byScope[s], fmt.Sprintf("reach account %s in %s: %s", s.Account, s.Region, errText(err))))
			return
		}
		add(eng.Run(ctx, byScope[s]))
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
	account := req.AccountID
	if req.RoleARN != "" {
		m := roleARNRE.FindStringSubmatch(req.RoleARN)
		if m == nil {
			return nil, fmt.Sprintf("roleArn %q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", req.RoleARN)
		}
		if account == "" {
			account = m[2]
		}
		if m[2] != account {
			return nil, fmt.Sprintf("roleArn %s belongs to account %s, not to accountId %s", req.RoleARN, m[2], account)
		}
		if !slices.Contains(d.allowed, req.RoleARN) {
			return nil, fmt.Sprintf("role %s is not one this function may assume (OFFBOARD_ROLE_ARNS)", req.RoleARN)
		}
	}
	if account == "" {
		account = d.scope.Account
	}
	if !accountRE.MatchString(account) {
		return nil, fmt.Sprintf("accountId %q: want 12 digits", account)
	}
	var out []Scope
	for _, r := range req.Regions {
		r = strings.TrimSpace(r)
		if !regionRE.MatchString(r) {
			return nil, fmt.Sprintf("region %q is not a region name such as us-east-1", r)
		}
		s := Scope{Account: account, Region: r, RoleARN: req.RoleARN}
		if req.RoleARN == "" && (account != d.scope.Account || r != d.scope.Region) {
			return nil, fmt.Sprintf("account %s in %s is reachable only through a role: name one in roleArn (the function's own permissions cover account %s in %s)",
				account, r, d.scope.Account, d.scope.Region)
		}
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
	for _, r := range reqs {
		ids = append(ids, r.ID)
	}
	return &Report{Results: []Result{{
		ConnectionARN: everyConnection(s.Region, s.Account),
		Outcome:       OutcomeFailed,
		Reason:        reason,
		RequestIDs:    ids,
	}}}
}

// merge combines the reports of one dispatch.
func merge(reqs []Request, reports []*Report, took time.Duration) *Report {
	out := &Report{
		Action:   runAction(reqs),
		DryRun:   true,
		APICalls: map[string]int{},
		Duration: took,
	}
	any := false
	for _, r := range reports {
		out.Results = append(out.Results, r.Results...)
		for op, n := range r.APICalls {
			out.APICalls[op] += n
		}
		if len(r.Results) > 0 {
			any = true
			out.DryRun = out.DryRun && r.DryRun
		}
	}
	out.DryRun = out.DryRun && any
	out.tally()
	return out
}
