package cleanup

import (
	"context"
	"fmt"
	"maps"
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

// scopeParallelism is how many scopes are worked on at once: each engine
// bounds its own calls, and App Runner's limits are per account and region.
const scopeParallelism = 4

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
	var refused []Result
	for _, req := range reqs {
		if req.Action != ActionOffboard {
			homeReqs = append(homeReqs, req)
			continue
		}
		// The home account too is offboarded only through a listed role:
		// dropping the minimum age is an operator's decision.
		if !slices.Contains(d.allowed, req.Role.String()) {
			refused = append(refused, Reject(req.ID, describeOffboard(req),
				fmt.Sprintf("role %s is not one this function may assume (OFFBOARD_ROLE_ARNS)", req.Role)).Result())
			continue
		}
		for _, region := range req.Regions {
			// One engine per account and region, whichever allowed role
			// reaches it: two would sweep the same connections at once.
			key := Scope{Account: req.Role.Account, Region: region, RoleARN: req.Role.String()}
			for k := range byScope {
				if k.Account == key.Account && k.Region == key.Region {
					key = k
				}
			}
			byScope[key] = append(byScope[key], Request{
				ID: req.ID, Action: ActionSweep, DryRun: req.DryRun, WaitForServices: req.WaitForServices,
			})
		}
	}
	if len(byScope) == 0 {
		rep := d.home.Run(ctx, homeReqs)
		rep.Add(refused...)
		return rep
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
	rep := merge(reqs, reports, time.Since(start))
	rep.Add(refused...)
	return rep
}

func describeOffboard(req Request) string {
	return fmt.Sprintf("offboard account=%s role=%s regions=%s", req.Role.Account, req.Role, strings.Join(req.Regions, ","))
}

// scopeFailed reports a scope that could not be reached: its requests fail,
// so SQS (or the caller) retries them.
func scopeFailed(s Scope, reqs []Request, reason string) *Report {
	rep := NewReport(reqs, false)
	var ids []string
	for _, r := range reqs {
		ids = append(ids, r.ID)
	}
	rep.Add(Result{
		ConnectionARN: everyConnection(PartitionOf(s.Region), s.Region, s.Account),
		Outcome:       OutcomeFailed,
		Reason:        reason,
		RequestIDs:    ids,
	})
	return rep
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
	out := NewReport(reqs, false)
	out.DryRun = len(reports) > 0
	out.APICalls = map[string]int{}
	out.Duration = took
	var results []Result
	at := map[string]int{} // connection ARN -> index in results
	for _, r := range reports {
		out.DryRun = out.DryRun && r.DryRun
		for op, n := range r.APICalls {
			out.APICalls[op] += n
		}
		out.APIRetries += r.APIRetries
		for _, res := range r.Results {
			i, seen := at[res.ConnectionARN]
			if res.Outcome == OutcomeInvalid || !seen {
				if res.Outcome != OutcomeInvalid {
					at[res.ConnectionARN] = len(results)
				}
				results = append(results, res)
				continue
			}
			prev := &results[i]
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
	out.Add(results...)
	return out
}
