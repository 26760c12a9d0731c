package cleanup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// Scope is an account and region to clean up, the IAM role through which
// the function reaches it ("" for its own credentials), and whether it is
// offboarded (no minimum age) or swept.
type Scope struct {
	Account, Region, RoleARN string
	Offboard                 bool
}

// Runner runs requests; *Engine is one.
type Runner interface {
	Run(ctx context.Context, reqs []request.Request) *request.Report
}

// EngineFactory returns the engine of a scope. An offboarded scope's engine
// sweeps without a minimum age; the factory may keep engines for reuse. It
// is called for several scopes at once.
type EngineFactory func(ctx context.Context, s Scope) (Runner, error)

// scopeParallelism is how many scopes are worked on at once: each engine
// bounds its own calls, and App Runner's limits are per account and region.
const scopeParallelism = 4

// Dispatcher sends offboarding requests and the work items of plans to the
// engines of their scopes and every other request to the home engine, and
// merges what they report.
type Dispatcher struct {
	home     Runner
	factory  EngineFactory
	allowed  []string
	org      *Organization
	parallel int
	progress func(done, total int)
	now      func() time.Time
}

// Organization lets a dispatcher run the work items of plans.
type Organization struct {
	// Home is the function's own account and region, reached with its own
	// credentials; Partition is theirs.
	Home      Scope
	Partition string
	// MemberRole is the name of the role assumed in other accounts:
	// arn:PARTITION:iam::ACCOUNT:role/MemberRole.
	MemberRole string
	// Admit says why a work item of action may not run for account ("" if
	// it may); viaRole says it would run through MemberRole. Work items
	// reach the dispatcher only when the trigger has authenticated them as
	// the function's own planner's, which checked the account when it
	// planned; Admit asks again what may have changed since (an
	// offboarded account moved back out of the offboarding OU). It is
	// asked once per account, action and way in for each run.
	Admit func(ctx context.Context, account string, action request.Action, viaRole bool) (why string, err error)
	// ManagementAccount returns the organization's management account, ""
	// if unknown; nil asks nothing. No offboarding reaches it, through a
	// role of OFFBOARD_ROLE_ARNS either.
	ManagementAccount func(ctx context.Context) (string, error)
}

// WithOrganization makes the dispatcher run work items through org.
func (d *Dispatcher) WithOrganization(org Organization) *Dispatcher {
	d.org = &org
	return d
}

// WithProgress makes the dispatcher tell progress, as each scope of a run
// ends, how many of the run's scopes have ended out of how many. It is
// called from several goroutines, one call at a time.
func (d *Dispatcher) WithProgress(progress func(done, total int)) *Dispatcher {
	d.progress = progress
	return d
}

// WithClock makes the dispatcher time its runs with now, the engines'
// clock (cleanup.Config.Now), instead of time.Now.
func (d *Dispatcher) WithClock(now func() time.Time) *Dispatcher {
	if now != nil {
		d.now = now
	}
	return d
}

// NewDispatcher returns a dispatcher. roles lists the IAM roles offboarding
// requests may name; with none, offboarding is off. The home account too is
// offboarded only through a listed role: dropping the minimum age is an
// operator's decision, not a message sender's.
func NewDispatcher(home Runner, factory EngineFactory, roles []string) *Dispatcher {
	return &Dispatcher{home: home, factory: factory, allowed: roles, parallel: scopeParallelism, now: time.Now}
}

// Run runs the requests and returns one report for them all.
func (d *Dispatcher) Run(ctx context.Context, reqs []request.Request) *request.Report {
	var (
		homeReqs []request.Request
		byScope  = map[Scope][]request.Request{}
		scopes   []Scope // byScope's keys, in the order the requests name them
	)
	var (
		refused   []request.Result
		workItems []request.Request
	)
	for _, req := range reqs {
		switch {
		case req.WorkItem != nil:
			workItems = append(workItems, req)
			continue
		case req.Action != request.ActionOffboard:
			homeReqs = append(homeReqs, req)
			continue
		}
		// The home account too is offboarded only through a listed role:
		// dropping the minimum age is an operator's decision.
		if !slices.Contains(d.allowed, req.Role.String()) {
			refused = append(refused, request.Reject(req.ID, describeOffboard(req),
				fmt.Sprintf("role %s is not one this function may assume (OFFBOARD_ROLE_ARNS)", req.Role)).Result())
			continue
		}
		if res := d.management(ctx, req); res != nil {
			refused = append(refused, *res)
			continue
		}
		for _, region := range req.Regions {
			// One engine per account and region, whichever allowed role
			// reaches it: two would sweep the same connections at once.
			key := sameEngine(byScope, Scope{Account: req.Role.Account, Region: region, RoleARN: req.Role.String(), Offboard: true})
			if _, seen := byScope[key]; !seen {
				scopes = append(scopes, key)
			}
			byScope[key] = append(byScope[key], asSweep(req))
		}
	}
	for _, w := range d.route(ctx, workItems) {
		switch {
		case w.refused != nil:
			refused = append(refused, *w.refused)
		case w.home:
			homeReqs = append(homeReqs, asSweep(w.req))
		default:
			key := sameEngine(byScope, w.scope)
			if _, seen := byScope[key]; !seen {
				scopes = append(scopes, key)
			}
			byScope[key] = append(byScope[key], asSweep(w.req))
		}
	}
	if len(byScope) == 0 {
		rep := d.home.Run(ctx, homeReqs)
		rep.Add(refused...)
		labelPlans(rep, reqs)
		return rep
	}

	start := d.now()
	// Each report has its place, the home engine's first and then the
	// scopes' in the order the requests named them, so that the merged
	// results come in the same order however the scopes' runs interleave.
	reports := make([]*request.Report, 1+len(scopes))
	var (
		mu    sync.Mutex
		ended int
	)
	put := func(i int, r *request.Report) {
		mu.Lock()
		defer mu.Unlock()
		reports[1+i] = r
		if d.progress != nil {
			ended++
			d.progress(ended, len(scopes))
		}
	}
	if len(homeReqs) > 0 {
		reports[0] = d.home.Run(ctx, homeReqs)
	}
	forEach(ctx, newSlots(d.parallel), len(scopes), func(ctx context.Context, i int) {
		s := scopes[i]
		eng, err := d.factory(ctx, s)
		if err != nil {
			put(i, scopeFailed(s, byScope[s], fmt.Sprintf("reach account %s in %s: %s", s.Account, s.Region, errText(err))))
			return
		}
		put(i, eng.Run(ctx, byScope[s]))
	}, func(i int, reason string) {
		s := scopes[i]
		put(i, scopeFailed(s, byScope[s], fmt.Sprintf("account %s in %s: %s", s.Account, s.Region, reason)))
	})
	reports = slices.DeleteFunc(reports, func(r *request.Report) bool { return r == nil })
	rep := request.Merge(reqs, reports, d.now().Sub(start))
	rep.Add(refused...)
	labelPlans(rep, reqs)
	return rep
}

// sameEngine is the key of the scope already planned for s's account,
// region and mode, whichever role reaches it, or s: two engines would sweep
// the same connections at once.
func sameEngine(byScope map[Scope][]request.Request, s Scope) Scope {
	for k := range byScope {
		if k.Account == s.Account && k.Region == s.Region && k.Offboard == s.Offboard {
			return k
		}
	}
	return s
}

// asSweep is the sweep an engine runs for an offboarding request or a work
// item: whether without a minimum age is the scope's to say.
func asSweep(req request.Request) request.Request {
	return request.Request{ID: req.ID, Action: request.ActionSweep, DryRun: req.DryRun, WaitForServices: req.WaitForServices,
		AfterUnusedFor: req.AfterUnusedFor, Kinds: req.Kinds}
}

// routed is where one work item goes: refused, to the home engine, or to
// the engine of a scope.
type routed struct {
	req     request.Request
	refused *request.Result
	home    bool
	scope   Scope
}

// management refuses a role-named offboarding of the organization's
// management account, or returns nil.
func (d *Dispatcher) management(ctx context.Context, req request.Request) *request.Result {
	if d.org == nil || d.org.ManagementAccount == nil {
		return nil
	}
	mgmt, err := d.org.ManagementAccount(ctx)
	switch {
	case err != nil:
		return orgFailed(describeOffboard(req), req.Role.Account, req.ID, err)
	case mgmt != "" && mgmt == req.Role.Account:
		return ptrTo(request.Reject(req.ID, describeOffboard(req), fmt.Sprintf(
			"account %s is the organization's management account: it is never offboarded, through a role of OFFBOARD_ROLE_ARNS either", mgmt)).Result())
	}
	return nil
}

// orgFailed is the failed result, about subject, of request id whose
// account could not be checked with AWS Organizations: it is retried.
func orgFailed(subject, account, id string, err error) *request.Result {
	return &request.Result{
		ARN:        subject,
		Outcome:    request.OutcomeFailed,
		Reason:     failedReason(err, fmt.Sprintf("check account %s with AWS Organizations: %s", account, errText(err))),
		RequestIDs: []string{id},
	}
}

// admission is one account, action and way in that work items ask for.
type admission struct {
	account string
	action  request.Action
	viaRole bool
}

// verdict is what the organization said of an admission.
type verdict struct {
	why string
	err error
}

// route places each work item and checks its account with the
// organization, once per admission, at most parallel at a time, and says
// where it goes.
func (d *Dispatcher) route(ctx context.Context, items []request.Request) []routed {
	out := make([]routed, len(items))
	if d.org == nil {
		for i, req := range items {
			out[i] = routed{req: req, refused: ptrTo(request.Reject(req.ID, describeWorkItem(req),
				"a work item needs the organization configured (ORGANIZATION_OU_IDS or OFFBOARD_OU_ID, MEMBER_ROLE_NAME)").Result())}
		}
		return out
	}
	home := d.org.Home
	asks := map[admission]int{} // → index in verdicts
	var order []admission
	need := make([]admission, len(items))
	for i, req := range items {
		w := req.WorkItem
		offboard := req.Action == request.ActionOffboard
		out[i].req = req
		// The function's own permissions are its own region's: elsewhere,
		// its own account too is reached through the member role.
		inHome := w.AccountID == home.Account && w.Region == home.Region
		out[i].home = inHome && !offboard
		out[i].scope = Scope{Account: w.AccountID, Region: w.Region, Offboard: offboard}
		if !inHome {
			out[i].scope.RoleARN = fmt.Sprintf("arn:%s:iam::%s:role/%s", d.org.Partition, w.AccountID, d.org.MemberRole)
		}
		a := admission{account: w.AccountID, action: req.Action, viaRole: !inHome}
		need[i] = a
		if _, ok := asks[a]; !ok {
			asks[a] = len(order)
			order = append(order, a)
		}
	}
	verdicts := make([]verdict, len(order))
	forEach(ctx, newSlots(d.parallel), len(order), func(ctx context.Context, j int) {
		a := order[j]
		why, err := d.org.Admit(ctx, a.account, a.action, a.viaRole)
		verdicts[j] = verdict{why: why, err: err}
	}, func(j int, reason string) {
		verdicts[j] = verdict{err: errors.New(reason)}
	})
	for i, req := range items {
		w, v := req.WorkItem, verdicts[asks[need[i]]]
		switch {
		case v.err != nil:
			out[i].refused = orgFailed(everyResource(request.PartitionOf(w.Region), w.Region, w.AccountID), w.AccountID, req.ID, v.err)
		case v.why != "":
			out[i].refused = ptrTo(request.Reject(req.ID, describeWorkItem(req), v.why).Result())
		}
	}
	return out
}

func ptrTo[T any](v T) *T { return &v }

// labelPlans ties each result to the plan of the work item that decided
// it, when all the requests behind the result belong to one plan, and
// counts what each work item decided.
func labelPlans(rep *request.Report, reqs []request.Request) {
	planOf := map[string]string{}
	for _, req := range reqs {
		if w := req.WorkItem; w != nil {
			planOf[req.ID] = w.PlanID
			run := request.WorkItemRun{RequestID: req.ID, PlanID: w.PlanID, Account: w.AccountID, Region: w.Region, Counts: map[request.Outcome]int{}}
			for _, o := range request.Outcomes() {
				run.Counts[o] = 0
			}
			for _, res := range rep.Results {
				if slices.Contains(res.RequestIDs, req.ID) {
					run.Counts[res.Outcome]++
				}
			}
			rep.WorkItems = append(rep.WorkItems, run)
		}
	}
	if len(planOf) == 0 {
		return
	}
	for i := range rep.Results {
		res := &rep.Results[i]
		plan := ""
		for j, id := range res.RequestIDs {
			if p := planOf[id]; j == 0 || p == plan {
				plan = p
			} else {
				plan = ""
				break
			}
		}
		res.PlanID = plan
	}
}

// describeRequest names a request that no engine runs as it is.
func describeRequest(req request.Request) string {
	switch {
	case req.Plan != nil:
		return describePlan(req)
	case req.WorkItem != nil:
		return describeWorkItem(req)
	case req.Action == request.ActionOffboard:
		return describeOffboard(req)
	}
	return string(req.Action)
}

func describePlan(req request.Request) string {
	return fmt.Sprintf("%s plan ous=%s accounts=%s regions=%s", req.Action,
		strings.Join(req.Plan.OrganizationalUnitIDs, ","), strings.Join(req.Plan.AccountIDs, ","), strings.Join(req.Plan.Regions, ","))
}

func describeWorkItem(req request.Request) string {
	return fmt.Sprintf("%s account=%s region=%s plan=%s", req.Action, req.WorkItem.AccountID, req.WorkItem.Region, req.WorkItem.PlanID)
}

func describeOffboard(req request.Request) string {
	return fmt.Sprintf("offboard account=%s role=%s regions=%s", req.Role.Account, req.Role, strings.Join(req.Regions, ","))
}

// scopeFailed reports a scope that could not be reached: its requests fail,
// so SQS (or the caller) retries them.
func scopeFailed(s Scope, reqs []request.Request, reason string) *request.Report {
	rep := request.NewReport(reqs, false)
	var ids []string
	for _, r := range reqs {
		ids = append(ids, r.ID)
	}
	rep.Add(request.Result{
		ARN:        everyResource(request.PartitionOf(s.Region), s.Region, s.Account),
		Outcome:    request.OutcomeFailed,
		Reason:     reason,
		RequestIDs: ids,
	})
	return rep
}
