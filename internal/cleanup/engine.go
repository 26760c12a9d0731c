package cleanup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// Engine decides and deletes. It is safe for concurrent use; a warm Lambda
// keeps one Engine so that a fresh usage index can be reused.
type Engine struct {
	api    API
	cfg    Config
	tracer Tracer
	cache  indexCache
}

// Tracer marks the phases of a run for a tracing backend. The engine never
// imports a tracing SDK; the wiring passes an implementation in.
type Tracer interface {
	// StartPhase begins a named phase ("index", "decide", "delete") and
	// returns the context to use inside it and a function that ends it,
	// attaching the given numeric annotations.
	StartPhase(ctx context.Context, name string) (context.Context, func(annotations map[string]int64, err error))
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

// reportShare: the last 1/reportShare of the deadline margin is kept for
// reporting; calls under way may run into the rest.
const reportShare = 3

// Run decides every resource the requests are about and returns one result
// per resource. It never fails as a whole: a problem becomes the outcome
// of the resources it touches, so nothing is silently dropped.
//
// A run goes through its stages in order, each in the file of its name:
// targets (what the requests are about), lookup (the resources' state,
// alongside the index of which services use which resource), policy (the
// decision for each), delete (each candidate's protection tag, then its
// deletion), and report.
func (e *Engine) Run(ctx context.Context, reqs []request.Request) *request.Report {
	start := e.cfg.Now()
	// No call starts inside the deadline margin; a call already under way
	// may take part of it, so that a deletion App Runner is making is not
	// cut off and reported unknown, but must end early enough to leave
	// time for reporting.
	//
	// The stop time is kept on the engine's clock, like every other time
	// of the run: the context's deadline is the wall clock's, so it is
	// carried over as the time left.
	var stopAt time.Time
	if dl, ok := ctx.Deadline(); ok {
		stopAt = start.Add(time.Until(dl) - e.cfg.DeadlineMargin)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-e.cfg.DeadlineMargin/reportShare))
		defer cancel()
	}
	r := &run{e: e, api: newRunAPI(e.api, e.cfg.Now, stopAt, e.cfg.MaxConcurrency), targets: make(map[string]*target)}

	full, byService := r.collectTargets(reqs)

	phaseCtx, end := e.tracer.StartPhase(ctx, "index")
	idx, idxErr := r.lookUp(phaseCtx, full, byService)
	end(map[string]int64{"targets": int64(len(r.order)), "services": int64(idx.size())}, idxErr)

	_, end = e.tracer.StartPhase(ctx, "decide")
	candidates := r.applyPolicy(idx, idxErr)
	end(map[string]int64{"candidates": int64(len(candidates))}, nil)

	phaseCtx, end = e.tracer.StartPhase(ctx, "delete")
	r.deleteCandidates(phaseCtx, candidates)
	rep := r.report(reqs, start)
	end(map[string]int64{"deleted": int64(rep.Counts[request.OutcomeDeleted]), "failed": int64(rep.Counts[request.OutcomeFailed])}, nil)
	return rep
}

// run is the state of one Engine.Run.
type run struct {
	e       *Engine
	api     *runAPI
	targets map[string]*target // by resource ARN
	order   []*target          // in the order first met
	// refused are results about no target: inputs outside the engine's
	// scope, and listings that failed.
	refused []request.Result
}

// target is one resource the run looks at: a connection, or another kind
// of leftover (see request.Kinds).
type target struct {
	kind       request.Kind
	arn        string
	name       string
	requestIDs []string
	// Who asked about the connection, and whether any of them for real:
	// requests that named it, and sweeps that found it. Only sweeps are
	// held to the minimum age, and a dry-run request never causes a
	// deletion that the others would not have made on their own.
	named, namedForReal bool
	swept, sweptForReal bool
	// The idle periods each kind asks for.
	namedWaits, sweptWaits waits
	// dryRun and wait (the idle period that applies) are decided with the
	// policy (see applyPolicy).
	dryRun bool
	wait   time.Duration
	// idleNote, for a candidate whose idle period is over, says since when
	// it has been unused, for the reason of its deletion.
	idleNote string
	// unmark says that the target is in use and its mark, if it has one,
	// is to be removed (see unmark).
	unmark bool

	// From App Runner's listing or description, when it was looked up.
	found     bool
	gone      bool
	createdAt *time.Time
	// Of an auto scaling configuration: the account's default, and
	// whether App Runner counts a service using it (when known).
	isDefault, hasAssociatedService, associationKnown bool

	result *request.Result
}

// see records what App Runner says of the target.
func (t *target) see(s state) {
	t.found, t.gone, t.createdAt = true, s.gone, s.createdAt
	if s.known {
		t.isDefault, t.hasAssociatedService, t.associationKnown = s.isDefault, s.hasAssociatedService, true
	}
}

// conclude records the target's one outcome.
func (t *target) conclude(o request.Outcome, reason string, usedBy []request.ServiceRef) {
	t.result = &request.Result{
		ResourceType: t.kind,
		ARN:          t.arn,
		Name:         t.name,
		Outcome:      o,
		Reason:       reason,
		UsedBy:       usedBy,
		RequestIDs:   t.requestIDs,
	}
}

// dryRun is the configured dry run, or the request's: a request may ask for
// a dry run, but not lift the one the function is deployed with.
func (r *run) dryRun(req *request.Request) bool {
	return r.e.cfg.DryRun || req.DryRun
}

type noopTracer struct{}

func (noopTracer) StartPhase(ctx context.Context, _ string) (context.Context, func(map[string]int64, error)) {
	return ctx, func(map[string]int64, error) {}
}

// report assembles the run's report: each target's result, then the
// inputs refused.
func (r *run) report(reqs []request.Request, start time.Time) *request.Report {
	rep := request.NewReport(reqs, r.e.cfg.DryRun)
	rep.APICalls, rep.APIRetries = r.api.sent()
	rep.Duration = r.e.cfg.Now().Sub(start)
	for _, t := range r.order {
		if t.result == nil { // cannot happen; never lose a resource if it does
			t.conclude(request.OutcomeFailed, "internal error: no decision was taken", nil)
		}
		rep.Add(*t.result)
	}
	rep.Add(r.refused...)
	return rep
}
