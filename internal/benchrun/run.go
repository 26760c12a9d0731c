// Package benchrun measures the cleanup function end to end, for make
// bench: dry-run sweeps against the App Runner emulator with a fixed
// latency per call, set beside the least time and calls any engine could
// need (LowerBound); the function's start-up (INIT) under the Lambda
// Runtime Interface Emulator beside a hello-world function's; and the peak
// memory of a large sweep; and an organization's plan, its planning beside
// its bound and its work items' projected wall time (RunPlan). cmd/bench
// runs it and writes the results as Markdown.
package benchrun

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"
)

// Config says what to measure.
type Config struct {
	// ModuleRoot holds go.mod; WorkDir receives the binaries.
	ModuleRoot, WorkDir string
	// Sizes are the populations swept at Latency.
	Sizes []Population
	// Latency is added by the emulator to every App Runner call of the
	// sized sweeps, with no jitter.
	Latency time.Duration
	// Concurrency is the function's MAX_CONCURRENCY.
	Concurrency int
	// Runs is how often each size is swept; the median counts.
	Runs int
	// ColdStarts is how often each function is started for INIT.
	ColdStarts int
	// Memory is the population of the sweep whose peak RSS is measured,
	// at MemoryLatency.
	Memory        Population
	MemoryLatency time.Duration
	// Mark is the population of the idle period's first sweep, which tags
	// every free connection, at Latency; no connections leave it out.
	Mark Population
	// All is the population of a dry-run sweep of every kind
	// (RESOURCE_TYPES=all), at Latency; no connections leave it out.
	All Population
	// Plan is the organization plan, at Latency and Concurrency; a
	// shape of no accounts leaves it out.
	Plan PlanConfig
	// Progress receives a line per step; nil discards.
	Progress io.Writer
}

// PlanConfig is what the organization plan benchmark plans and runs (see
// PlanOptions).
type PlanConfig struct {
	Shape          OrgShape
	Regions        []string
	Population     Population
	Sample         int
	MaxConcurrency []int
	// Throttle runs every work item of the plan with Organizations
	// throttled; a zero Limit leaves it out.
	Throttle ThrottledOptions
}

// SizeResult is one size's bounds and sweeps.
type SizeResult struct {
	// Bound is the lower bound with the page calls outside the K slots;
	// SharedBound counts them against K.
	Bound, SharedBound Bound
	// Runs are the sweeps in the order run; Median is the one with the
	// median wall time (the lower middle of an even number).
	Runs   []SweepResult
	Median SweepResult
}

// Results are everything one benchmark run measured.
type Results struct {
	Config
	Machine Machine
	Date    time.Time
	// Command is how the results were produced, as the reader would type
	// it; Revision the source's version, if known.
	Command, Revision string
	Sizes             []SizeResult
	// Hello and Bootstrap are the two functions' INITs.
	Hello, Bootstrap ColdStarts
	// Memory is the large sweep, and MemoryBound its bound.
	Memory      SweepResult
	MemoryBound Bound
	// Marking is the idle period's first sweep, nil when left out; its
	// bound is a real sweep's with TagResource for DeleteConnection.
	Marking *SizeResult
	// All is the sweep of every kind, nil when left out.
	All *SizeResult
	// Plan is the organization plan, nil when left out; PlanElapsed is
	// how long all of it took (seeding, planning, the sample).
	Plan        *PlanResult
	PlanElapsed time.Duration
}

// Run builds the binaries and measures.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	if cfg.Runs < 1 || cfg.ColdStarts < 1 || cfg.Concurrency < 1 {
		return nil, fmt.Errorf("runs %d, cold starts %d, concurrency %d: each must be at least 1", cfg.Runs, cfg.ColdStarts, cfg.Concurrency)
	}
	res := &Results{Config: cfg, Machine: ThisMachine(), Date: time.Now().UTC()}

	fmt.Fprintf(progress, "building the function, the hello-world function and the runtime interface emulator\n")
	bins, err := Build(ctx, cfg.ModuleRoot, cfg.WorkDir)
	if err != nil {
		return nil, err
	}

	for _, p := range cfg.Sizes {
		sw := Sweep{Connections: p.Connections, Services: p.Services, Free: p.Free, Concurrency: cfg.Concurrency, Latency: cfg.Latency}
		b, err := LowerBound(sw)
		if err != nil {
			return nil, err
		}
		sw.PagesTakeSlots = true
		shared, err := LowerBound(sw)
		if err != nil {
			return nil, err
		}
		sr := SizeResult{Bound: b, SharedBound: shared}
		for i := range cfg.Runs {
			fmt.Fprintf(progress, "sweep %d of %d: %d connections, %d services at %s a call (bound %s)\n",
				i+1, cfg.Runs, p.Connections, p.Services, exact(cfg.Latency), duration(b.Wall))
			r, err := RunSweep(ctx, SweepOptions{Bootstrap: bins.Bootstrap, Population: p, Concurrency: cfg.Concurrency, Latency: cfg.Latency})
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(progress, "  %s, %d App Runner calls\n", duration(r.Run), Total(r.EmulatorCalls))
			sr.Runs = append(sr.Runs, r)
		}
		sr.Median = medianRun(sr.Runs)
		res.Sizes = append(res.Sizes, sr)
	}

	if p := cfg.Mark; p.Connections > 0 {
		b, err := markBound(Sweep{Connections: p.Connections, Services: p.Services, Free: p.Free, Concurrency: cfg.Concurrency, Latency: cfg.Latency, Delete: true}, p.InUse)
		if err != nil {
			return nil, err
		}
		sr := &SizeResult{Bound: b}
		for i := range cfg.Runs {
			fmt.Fprintf(progress, "marking sweep %d of %d: %d connections, %d services (bound %s)\n", i+1, cfg.Runs, p.Connections, p.Services, duration(b.Wall))
			r, err := RunSweep(ctx, SweepOptions{Bootstrap: bins.Bootstrap, Population: p, Concurrency: cfg.Concurrency, Latency: cfg.Latency, Mark: true})
			if err != nil {
				return nil, fmt.Errorf("marking sweep: %w", err)
			}
			fmt.Fprintf(progress, "  %s, %d App Runner calls\n", duration(r.Run), Total(r.EmulatorCalls))
			sr.Runs = append(sr.Runs, r)
		}
		sr.Median = medianRun(sr.Runs)
		res.Marking = sr
	}

	if p := cfg.All; p.Connections > 0 {
		sw := Sweep{Connections: p.Connections, Services: p.Services, Free: p.Free, Concurrency: cfg.Concurrency, Latency: cfg.Latency, Others: p.leftovers()}
		b, err := LowerBound(sw)
		if err != nil {
			return nil, err
		}
		sw.PagesTakeSlots = true
		shared, err := LowerBound(sw)
		if err != nil {
			return nil, err
		}
		sr := &SizeResult{Bound: b, SharedBound: shared}
		for i := range cfg.Runs {
			fmt.Fprintf(progress, "sweep of every kind %d of %d: %d connections, %d services, %d of each other kind (bound %s)\n",
				i+1, cfg.Runs, p.Connections, p.Services, p.Others[0].Total, duration(b.Wall))
			r, err := RunSweep(ctx, SweepOptions{Bootstrap: bins.Bootstrap, Population: p, Concurrency: cfg.Concurrency, Latency: cfg.Latency})
			if err != nil {
				return nil, fmt.Errorf("sweep of every kind: %w", err)
			}
			fmt.Fprintf(progress, "  %s, %d App Runner calls\n", duration(r.Run), Total(r.EmulatorCalls))
			sr.Runs = append(sr.Runs, r)
		}
		sr.Median = medianRun(sr.Runs)
		res.All = sr
	}

	fmt.Fprintf(progress, "INIT: %d cold starts of each function under the runtime interface emulator\n", cfg.ColdStarts)
	if res.Hello, res.Bootstrap, err = MeasureInit(ctx, bins, cfg.ColdStarts); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "  medians: hello world %s, cleanup function %s\n", duration(res.Hello.Median()), duration(res.Bootstrap.Median()))

	m := cfg.Memory
	fmt.Fprintf(progress, "peak RSS: a sweep of %d connections and %d services at %s a call\n", m.Connections, m.Services, exact(cfg.MemoryLatency))
	if res.MemoryBound, err = LowerBound(Sweep{Connections: m.Connections, Services: m.Services, Free: m.Free, Concurrency: cfg.Concurrency, Latency: cfg.MemoryLatency}); err != nil {
		return nil, err
	}
	if res.Memory, err = RunSweep(ctx, SweepOptions{Bootstrap: bins.Bootstrap, Population: m, Concurrency: cfg.Concurrency, Latency: cfg.MemoryLatency}); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "  %s in %s\n", megabytes(res.Memory.PeakRSS), duration(res.Memory.Run))

	if pc := cfg.Plan; pc.Shape.Accounts > 0 {
		b, err := PlanLowerBound(pc.Shape.Tree(), len(pc.Regions), cfg.Latency)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(progress, "organization plan: %d accounts × %d regions at %s a call (bound %s, this planner %s), then %d work items in batches of %d\n",
			pc.Shape.Accounts, len(pc.Regions), exact(cfg.Latency), duration(b.Wall), duration(b.SequentialWall), pc.Sample, EventSourceBatch)
		start := time.Now()
		res.Plan, err = RunPlan(ctx, PlanOptions{
			Bootstrap: bins.Bootstrap, RIE: bins.RIE, Shape: pc.Shape, Regions: pc.Regions, Population: pc.Population,
			Latency: cfg.Latency, Concurrency: cfg.Concurrency, Sample: pc.Sample, MaxConcurrency: pc.MaxConcurrency,
			Throttle: pc.Throttle,
		})
		if err != nil {
			return nil, fmt.Errorf("organization plan: %w", err)
		}
		res.PlanElapsed = time.Since(start)
		fmt.Fprintf(progress, "  planning %s, %d work items; batches: first %s, median of the others %s\n",
			duration(res.Plan.Planning), res.Plan.WorkItems, duration(res.Plan.First), duration(res.Plan.Batch))
		if t := res.Plan.Throttled; t != nil {
			fmt.Fprintf(progress, "  every work item, %d environments, Organizations at %g calls/s: %s, %d Organizations calls, %d throttled, %d redelivered, %d dead\n",
				t.Options.Environments, t.Options.Limit.PerSecond, duration(t.Wall), sumValues(t.OrgCalls), sumValues(t.Throttled), t.Redelivered, t.Dead)
		}
	}
	return res, nil
}

// markBound is the bound of the idle period's first sweep: a real sweep's,
// each free connection's deletion a TagResource instead (one call after
// its tag look-up, as a deletion is), and one tag look-up more for each of
// the inUse connections in use, whose marks a sweep that waits must remove
// if they have one. Those look-ups too can only start once the index is
// complete, so the decisions take at least ⌈(2F+U)/K⌉ steps after it.
func markBound(s Sweep, inUse int) (Bound, error) {
	b, err := LowerBound(s)
	if err != nil {
		return b, err
	}
	b.Calls["TagResource"] = b.Calls["DeleteConnection"]
	delete(b.Calls, "DeleteConnection")
	b.Calls["ListTagsForResource"] += inUse
	b.DecideSteps = max(b.DecideSteps, ceilDiv(2*s.Free+inUse, s.Concurrency))
	b.Steps = b.IndexSteps + b.DecideSteps
	b.Wall = time.Duration(b.Steps) * s.Latency
	return b, nil
}

// medianRun is the sweep of the median wall time (the lower middle of an
// even number).
func medianRun(runs []SweepResult) SweepResult {
	sorted := slices.Clone(runs)
	slices.SortStableFunc(sorted, func(a, b SweepResult) int { return int(a.Run - b.Run) })
	return sorted[(len(sorted)-1)/2]
}
