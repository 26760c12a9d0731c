package cleanup

import (
	"fmt"
	"slices"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// sweep is a sweep some requests asked for. It is a dry run only if every
// one of them asked for a dry run: the run would have deleted for any other
// alone, and a request must not be acknowledged without its work done.
type sweep struct {
	ids    []string
	dryRun bool
	waits  waits
}

// asked is what one request, id, asks for: dryRun and an idle period of
// wait.
func asked(id string, dryRun bool, wait time.Duration) *sweep {
	return &sweep{ids: []string{id}, dryRun: dryRun, waits: newWaits(dryRun, wait)}
}

// merge adds request id, which asks for dryRun and an idle period of wait.
func (s *sweep) merge(id string, dryRun bool, wait time.Duration) {
	s.absorb(asked(id, dryRun, wait))
}

// absorb adds the requests of o.
func (s *sweep) absorb(o *sweep) {
	if len(s.ids) == 0 {
		s.dryRun = o.dryRun
	} else {
		s.dryRun = s.dryRun && o.dryRun
	}
	for _, id := range o.ids {
		if !slices.Contains(s.ids, id) {
			s.ids = append(s.ids, id)
		}
	}
	s.waits.merge(o.waits)
}

// waits are the idle periods that some requesters of a connection ask for:
// the shortest among those that ask for real, and among all. Each
// requester's wait is its own (see the policy): the shortest stands, as a
// connection is deleted when any real requester alone would delete it.
type waits struct {
	real, all     time.Duration
	anyReal, some bool
}

func newWaits(dryRun bool, wait time.Duration) waits {
	w := waits{all: wait, some: true}
	if !dryRun {
		w.real, w.anyReal = wait, true
	}
	return w
}

func (w *waits) merge(o waits) {
	if o.anyReal && (!w.anyReal || o.real < w.real) {
		w.real, w.anyReal = o.real, true
	}
	if o.some && (!w.some || o.all < w.all) {
		w.all, w.some = o.all, true
	}
}

// sweepWait is the idle period a sweep request waits: the configured one,
// or longer if the request asks.
func (r *run) sweepWait(req *request.Request) time.Duration {
	return max(r.e.cfg.UnusedFor, req.AfterUnusedFor)
}

// sweeps are the sweeps of one run, one per kind of resource.
type sweeps map[request.Kind]*sweep

// add records that request id sweeps kinds.
func (ss sweeps) add(kinds []request.Kind, id string, dryRun bool, wait time.Duration) {
	for _, k := range kinds {
		if ss[k] == nil {
			ss[k] = &sweep{}
		}
		ss[k].merge(id, dryRun, wait)
	}
}

// absorb adds the sweeps of o.
func (ss sweeps) absorb(o sweeps) {
	for k, s := range o {
		if ss[k] == nil {
			ss[k] = &sweep{}
		}
		ss[k].absorb(s)
	}
}

// collectTargets turns the requests into named targets, and says which
// sweeps to run: full (every resource of a kind) and byService (the
// resources a deleted service used, keyed by service ARN). A resource or
// service outside the engine's scope, or of a kind it does not clean up,
// is refused here, before any call.
func (r *run) collectTargets(reqs []request.Request) (full sweeps, byService map[string]sweeps) {
	full, byService = sweeps{}, make(map[string]sweeps)
	for i := range reqs {
		req := &reqs[i]
		switch {
		case req.Plan != nil, req.WorkItem != nil, req.Action == request.ActionOffboard:
			// The one check that none of these reaches an engine as it is:
			// plans are planned (the trigger hands them to the planner, and
			// nothing else makes them), work items and offboarding are
			// dispatched to the engine of their scope as plain sweeps.
			// Run as they are, they would sweep the engine's own account.
			r.refuse(describeRequest(*req), "an engine runs sweeps of its own account and deletions only: a plan is planned, and a work item or an offboarding dispatched, never run as it is", req.ID)
		case req.Action == request.ActionSweep:
			kinds, why := r.kindsOf(req)
			if why != "" {
				r.refuse(describeRequest(*req), why, req.ID)
				continue
			}
			if req.Service == nil {
				full.add(kinds, req.ID, r.dryRun(req), r.sweepWait(req))
				continue
			}
			if why := r.scopeProblem(*req.Service); why != "" {
				r.refuse(req.Service.String(), why, req.ID)
				continue
			}
			key := req.Service.String()
			if byService[key] == nil {
				byService[key] = sweeps{}
			}
			byService[key].add(kinds, req.ID, r.dryRun(req), r.sweepWait(req))
		case req.Action == request.ActionDelete:
			for _, a := range req.Connections {
				why := r.scopeProblem(a)
				if why == "" {
					why = r.kindProblem(a.Kind())
				}
				if why != "" {
					r.refuse(a.String(), why, req.ID)
					continue
				}
				r.addTarget(a.Kind(), a.String(), a.Name, asked(req.ID, r.dryRun(req), req.AfterUnusedFor), true)
			}
		}
	}
	return full, byService
}

// kindsOf is the kinds a sweep covers: those it names, or the configured
// ones. It says why when the request names a kind the engine does not
// clean up.
func (r *run) kindsOf(req *request.Request) ([]request.Kind, string) {
	if req.Kinds == nil {
		return r.e.cfg.Kinds, ""
	}
	for _, k := range req.Kinds {
		if why := r.kindProblem(k); why != "" {
			return nil, why
		}
	}
	return req.Kinds, ""
}

// kindProblem says why the engine does not clean up resources of kind k,
// or "".
func (r *run) kindProblem(k request.Kind) string {
	if slices.Contains(r.e.cfg.Kinds, k) {
		return ""
	}
	return fmt.Sprintf("resource type %s is not cleaned up here: this function cleans up %s (RESOURCE_TYPES)",
		k, request.KindsString(r.e.cfg.Kinds))
}

// scopeProblem says why a is outside the engine's partition, account and
// region, or "".
func (r *run) scopeProblem(a request.ARN) string {
	cfg := &r.e.cfg
	if a.Partition == cfg.Partition && a.Account == cfg.Account && a.Region == cfg.Region {
		return ""
	}
	where := fmt.Sprintf("account %s in %s", a.Account, a.Region)
	if a.Partition != cfg.Partition {
		where += " of partition " + a.Partition
	}
	return fmt.Sprintf("%s of %s: this function cleans up account %s in %s (partition %s) only",
		a.Resource, where, cfg.Account, cfg.Region, cfg.Partition)
}

// outOfScope says why an ARN of kind k that App Runner returned is not one
// this engine may delete, or "".
func (r *run) outOfScope(k request.Kind, s string) string {
	a, err := request.ParseKindARN(s, k)
	if err != nil {
		return fmt.Sprintf("not an App Runner %s ARN: %v", k.Noun(), err)
	}
	return r.scopeProblem(a)
}

// refuse records an ARN the engine will not act on, whole: it parsed, so it
// is short and worth quoting in full.
func (r *run) refuse(arn, reason, id string) {
	r.refused = append(r.refused, request.Rejection{RequestID: id, Input: arn, Reason: reason}.Result())
}

// addTarget records a target once, asked about by the requests of s: a
// resource asked about twice keeps every request's ID and what each kind
// of requester (named, or swept) wants.
func (r *run) addTarget(k request.Kind, arn, name string, s *sweep, named bool) *target {
	t, ok := r.targets[arn]
	if !ok {
		t = &target{kind: k, arn: arn, name: name}
		r.targets[arn] = t
		r.order = append(r.order, t)
	}
	if named {
		t.named, t.namedForReal = true, t.namedForReal || !s.dryRun
		t.namedWaits.merge(s.waits)
	} else {
		t.swept, t.sweptForReal = true, t.sweptForReal || !s.dryRun
		t.sweptWaits.merge(s.waits)
	}
	for _, id := range s.ids {
		if !slices.Contains(t.requestIDs, id) {
			t.requestIDs = append(t.requestIDs, id)
		}
	}
	return t
}
