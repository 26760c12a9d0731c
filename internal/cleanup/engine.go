package cleanup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
)

// ActionBatch is the Report.Action of a run whose requests asked for
// different actions (an SQS batch mixing sweeps and deletions).
const ActionBatch Action = "batch"

const (
	// listConnectionsPageSize is ListConnections' maximum MaxResults.
	listConnectionsPageSize = 100
	// lookupThreshold is the number of named connections above which one
	// listing of every connection is cheaper than one filtered call each.
	lookupThreshold = 10
	// maxRawExcerpt bounds how much of an undecodable input a result repeats.
	maxRawExcerpt = 200

	// reportShare: the last 1/reportShare of the deadline margin is kept
	// for reporting; calls under way may run into the rest.
	reportShare = 3

	reasonDeadline  = "deadline: not started before the function's time ran out; it will be retried"
	reasonCancelled = "cancelled: the run was stopped before this was done; it will be retried"
)

// Engine decides and deletes. It is safe for concurrent use; a warm Lambda
// keeps one Engine so that a fresh usage index can be reused.
type Engine struct {
	api    API
	cfg    Config
	tracer Tracer
	cache  indexCache
}

// New returns an engine using api for every App Runner call. A nil tracer
// traces nothing.
func New(api API, cfg Config, tracer Tracer) (*Engine, error) {
	if api == nil {
		return nil, errors.New("cleanup: nil API")
	}
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cleanup config: %w", err)
	}
	if tracer == nil {
		tracer = noopTracer{}
	}
	return &Engine{api: api, cfg: cfg, tracer: tracer}, nil
}

// target is one connection the run looks at.
type target struct {
	arn        string
	name       string
	requestIDs []string
	// Who asked about the connection, and whether any of them for real:
	// requests that named it, and sweeps that found it. Only sweeps are
	// held to the minimum age, and a dry-run request never causes a
	// deletion that the others would not have made on their own.
	named, namedReal bool
	swept, sweptReal bool
	// dryRun is decided with the policy (see decide).
	dryRun bool

	// From App Runner's listing, when it was looked up.
	found     bool
	status    types.ConnectionStatus
	createdAt *time.Time

	result *Result
}

func (t *target) decide(o Outcome, reason string, usedBy []ServiceRef) {
	t.result = &Result{
		ConnectionARN:  t.arn,
		ConnectionName: t.name,
		Outcome:        o,
		Reason:         reason,
		UsedBy:         usedBy,
		RequestIDs:     t.requestIDs,
	}
}

// run is the state of one Engine.Run.
type run struct {
	e       *Engine
	api     *runAPI
	targets map[string]*target
	order   []*target
	invalid []Result
}

// Run decides every connection the requests are about and returns one result
// per connection. It never fails as a whole: a problem becomes the outcome
// of the connections it touches, so nothing is silently dropped.
func (e *Engine) Run(ctx context.Context, reqs []Request) *Report {
	start := e.cfg.Now()
	// No call starts inside the deadline margin; a call already under way
	// may take part of it, so that a deletion App Runner is making is not
	// cut off and reported unknown, but must end early enough to leave
	// time for reporting.
	var stopAt time.Time
	if dl, ok := ctx.Deadline(); ok {
		stopAt = dl.Add(-e.cfg.DeadlineMargin)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-e.cfg.DeadlineMargin/reportShare))
		defer cancel()
	}
	r := &run{e: e, api: newRunAPI(e.api, stopAt), targets: make(map[string]*target)}

	full, byService := r.collect(reqs)

	phaseCtx, end := e.tracer.StartPhase(ctx, "index")
	idx, idxErr := r.discover(phaseCtx, full, byService)
	end(map[string]int64{"targets": int64(len(r.order)), "services": int64(servicesOf(idx))}, idxErr)

	phaseCtx, end = e.tracer.StartPhase(ctx, "decide")
	candidates := r.decide(phaseCtx, idx, idxErr)
	end(map[string]int64{"candidates": int64(len(candidates))}, nil)

	phaseCtx, end = e.tracer.StartPhase(ctx, "delete")
	r.delete(phaseCtx, candidates)
	rep := r.report(reqs, start)
	end(map[string]int64{"deleted": int64(rep.Counts[OutcomeDeleted]), "failed": int64(rep.Counts[OutcomeFailed])}, nil)
	return rep
}

func servicesOf(idx *usageIndex) int {
	if idx == nil {
		return 0
	}
	return len(idx.described)
}

// sweep is a sweep some requests asked for. It is a dry run only if every
// one of them asked for a dry run: the run would have deleted for any other
// alone, and a request must not be acknowledged without its work done.
type sweep struct {
	ids    []string
	dryRun bool
}

func (s *sweep) merge(id string, dryRun bool) {
	if len(s.ids) == 0 {
		s.dryRun = dryRun
	} else {
		s.dryRun = s.dryRun && dryRun
	}
	if !slices.Contains(s.ids, id) {
		s.ids = append(s.ids, id)
	}
}

// collect turns requests into named targets and invalid results, and says
// which sweeps to run: full (every connection, nil if none) and byService
// (the connection a deleted service used, keyed by service ARN).
func (r *run) collect(reqs []Request) (full *sweep, byService map[string]*sweep) {
	byService = make(map[string]*sweep)
	for i := range reqs {
		req := &reqs[i]
		if req.Invalid != "" {
			r.invalid = append(r.invalid, invalidResult(req.Raw, req.Invalid, req.ID))
			continue
		}
		switch req.Action {
		case ActionSweep:
			if len(req.ConnectionARNs) > 0 {
				r.invalid = append(r.invalid, invalidResult(strings.Join(req.ConnectionARNs, ","),
					`a sweep looks at every connection and takes no connectionArns; use action "delete" to name connections`, req.ID))
				continue
			}
			if req.ServiceARN != "" {
				if why := r.checkServiceARN(req.ServiceARN); why != "" {
					r.invalid = append(r.invalid, invalidResult(req.ServiceARN, why, req.ID))
					continue
				}
			}
			s := full
			if req.ServiceARN != "" {
				s = byService[req.ServiceARN]
			}
			if s == nil {
				s = &sweep{}
				if req.ServiceARN != "" {
					byService[req.ServiceARN] = s
				} else {
					full = s
				}
			}
			s.merge(req.ID, r.dryRun(req))
		case ActionDelete:
			if len(req.ConnectionARNs) == 0 {
				r.invalid = append(r.invalid, invalidResult("", `action "delete" needs at least one connection ARN in connectionArns`, req.ID))
				continue
			}
			for _, s := range req.ConnectionARNs {
				r.name(strings.TrimSpace(s), req)
			}
		default:
			r.invalid = append(r.invalid, invalidResult(string(req.Action), fmt.Sprintf(`unknown action %q: want "sweep" or "delete"`, req.Action), req.ID))
		}
	}
	return full, byService
}

// name adds a connection a request named explicitly.
func (r *run) name(s string, req *Request) {
	a, err := ParseConnectionARN(s)
	if err != nil {
		r.invalid = append(r.invalid, invalidResult(s, fmt.Sprintf("not an App Runner connection ARN: %v", err), req.ID))
		return
	}
	if why := r.foreign(a); why != "" {
		r.invalid = append(r.invalid, invalidResult(s, why, req.ID))
		return
	}
	r.add(a.String(), a.Name, []string{req.ID}, r.dryRun(req), true)
}

// foreign says why a is outside the engine's partition, account and region,
// or "".
func (r *run) foreign(a ARN) string {
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

// outOfScope says why a connection ARN App Runner returned is not one this
// engine may delete, or "".
func (r *run) outOfScope(s string) string {
	a, err := ParseConnectionARN(s)
	if err != nil {
		return fmt.Sprintf("not an App Runner connection ARN: %v", err)
	}
	return r.foreign(a)
}

// checkServiceARN says why s cannot name the deleted service a sweep is
// about, or "". A bad one must not widen into a sweep of everything.
func (r *run) checkServiceARN(s string) string {
	a, err := parseServiceARN(s)
	if err != nil {
		return fmt.Sprintf("not an App Runner service ARN: %v", err)
	}
	return r.foreign(a)
}

// dryRun is the configured dry run, or the request's: a request may ask for
// a dry run, but not lift the one the function is deployed with.
func (r *run) dryRun(req *Request) bool {
	return r.e.cfg.DryRun || (req.DryRun != nil && *req.DryRun)
}

// add records a target once; a connection asked about twice keeps every
// request's ID and what each kind of requester wants.
func (r *run) add(arn, name string, ids []string, dryRun, named bool) *target {
	t, ok := r.targets[arn]
	if !ok {
		t = &target{arn: arn, name: name}
		r.targets[arn] = t
		r.order = append(r.order, t)
	}
	if named {
		t.named, t.namedReal = true, t.namedReal || !dryRun
	} else {
		t.swept, t.sweptReal = true, t.sweptReal || !dryRun
	}
	for _, id := range ids {
		if !slices.Contains(t.requestIDs, id) {
			t.requestIDs = append(t.requestIDs, id)
		}
	}
	return t
}

func invalidResult(raw, reason, id string) Result {
	if len(raw) > maxRawExcerpt {
		raw = strings.ToValidUTF8(raw[:maxRawExcerpt], "") + "…"
	}
	return Result{ConnectionARN: raw, Outcome: OutcomeInvalid, Reason: reason, RequestIDs: []string{id}}
}
