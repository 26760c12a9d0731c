package benchrun

import (
	"errors"
	"fmt"
	"time"
)

// Sizes of an organization plan's calls: the largest page AWS
// Organizations' list operations return (internal/org asks for it), the
// most entries one SQS SendMessageBatch takes, how many SendMessageBatch
// calls the planner has under way at once, and how many scopes (work
// items) the dispatcher works on at once within one invocation.
const (
	OrgPageSize      = 20
	SendBatchSize    = 10
	SendParallelism  = 4
	ScopeParallelism = 4
	EventSourceBatch = 10 // the template's BatchSize of the cleanup queue's SQS event source
)

// OUTree is an organizational unit as far as a plan's bound depends on it:
// how many accounts it holds itself, and its child OUs.
type OUTree struct {
	Accounts int
	Children []OUTree
}

// Size returns the OUs and the accounts of the tree, t included.
func (t OUTree) Size() (ous, accounts int) {
	ous, accounts = 1, t.Accounts
	for _, c := range t.Children {
		o, a := c.Size()
		ous, accounts = ous+o, accounts+a
	}
	return ous, accounts
}

// PlanBound is the least time and the fewest calls of planning every
// account below one OU (the tree's top) over Regions regions, when every
// call takes Latency.
type PlanBound struct {
	Tree    OUTree
	Regions int
	Latency time.Duration

	// OUs and Accounts are the tree's; WorkItems (N) is Accounts ×
	// Regions, Batches ⌈N/10⌉ SendMessageBatch calls.
	OUs, Accounts, WorkItems, Batches int
	// AccountPages is Σ over the OUs of max(1, ⌈a/20⌉) ListAccountsForParent
	// calls, OUPages Σ max(1, ⌈c/20⌉) ListOrganizationalUnitsForParent
	// calls (a: the OU's own accounts, c: its child OUs).
	AccountPages, OUPages int
	// ListSteps is when the last listing of any planner has returned: every
	// OU listed as soon as its parent's page naming it has, all OUs at
	// once, each OU's pages a chain. ItemsFrom is the first step by which
	// an account has been returned.
	ListSteps, ItemsFrom int
	// Steps is the bound of any planner whose SendMessageBatch calls take
	// 4 slots: listings as ListSteps, and 4 × 10 work items sent per step
	// of those whose account has been returned (simulated step by step);
	// Wall is Steps × Latency.
	Steps int
	Wall  time.Duration
	// SequentialSteps is the least time of this function's planner
	// (internal/org): it asks for the management account, lists one call
	// at a time, depth first (each OU's account pages, then its child-OU
	// pages), and only then sends, 4 SendMessageBatch calls at a time:
	// 1 + AccountPages + OUPages + ⌈Batches/4⌉. SequentialWall is SequentialSteps × Latency.
	SequentialSteps int
	SequentialWall  time.Duration
	// Calls holds the fewest calls of each operation, named as the
	// emulator counts them.
	Calls map[string]int
}

// Operations of a plan as the emulator counts them.
const (
	OpListAccountsForParent = "organizations:ListAccountsForParent"
	OpListOUsForParent      = "organizations:ListOrganizationalUnitsForParent"
	OpSendMessageBatch      = "sqs:SendMessageBatch"
	// OpDescribeOrganization is asked once, for the management account,
	// which no plan may reach: any planner that keeps that rule asks it.
	OpDescribeOrganization = "organizations:DescribeOrganization"
)

// PlanOperations lists the calls of a plan in the order it makes them.
var PlanOperations = []string{OpDescribeOrganization, OpListAccountsForParent, OpListOUsForParent, OpSendMessageBatch}

// TotalCalls returns the fewest calls of the plan.
func (b PlanBound) TotalCalls() int { return Total(b.Calls) }

// PlanLowerBound works out the bound of planning the tree over regions.
func PlanLowerBound(tree OUTree, regions int, latency time.Duration) (PlanBound, error) {
	if regions < 1 {
		return PlanBound{}, errors.New("a plan covers at least one region")
	}
	if latency < 0 {
		return PlanBound{}, errors.New("negative latency")
	}
	if err := tree.check(); err != nil {
		return PlanBound{}, err
	}
	b := PlanBound{Tree: tree, Regions: regions, Latency: latency}
	b.OUs, b.Accounts = tree.Size()
	b.WorkItems = b.Accounts * regions
	b.Batches = ceilDiv(b.WorkItems, SendBatchSize)

	// arrivals[t] counts the accounts whose page returns at step t: an OU
	// known at k has its account page j back at k+j, its child-OU page j
	// at k+j naming children 20(j-1)+1..20j, each known from then on.
	var arrivals []int
	var walk func(t OUTree, known int)
	walk = func(t OUTree, known int) {
		ap, op := pages(t.Accounts, OrgPageSize), pages(len(t.Children), OrgPageSize)
		b.AccountPages += ap
		b.OUPages += op
		b.ListSteps = max(b.ListSteps, known+ap, known+op)
		for j := 1; j <= ap; j++ {
			n := min(OrgPageSize, t.Accounts-OrgPageSize*(j-1))
			for len(arrivals) <= known+j {
				arrivals = append(arrivals, 0)
			}
			arrivals[known+j] += n
		}
		for i, c := range t.Children {
			walk(c, known+i/OrgPageSize+1)
		}
	}
	walk(tree, 0) // the top OU is named by the request: known at once

	b.ItemsFrom = -1
	for t, n := range arrivals {
		if n > 0 {
			b.ItemsFrom = t
			break
		}
	}
	// Sends: in step t (from t·L), up to 4 × 10 of the work items whose
	// account has returned by t·L. Allowing part-filled batches at no
	// cost only helps a planner, so this stays a bound.
	returned, sent, last := 0, 0, 0
	for t := 0; sent < b.WorkItems; t++ {
		if t < len(arrivals) {
			returned += arrivals[t]
		}
		if n := min(SendParallelism*SendBatchSize, returned*regions-sent); n > 0 {
			sent += n
			last = t + 1
		}
	}
	b.Steps = max(b.ListSteps, last)
	b.Wall = time.Duration(b.Steps) * latency

	// This planner asks for the management account when the first listed
	// account is checked, before it lists on: one step more.
	b.SequentialSteps = 1 + b.AccountPages + b.OUPages + ceilDiv(b.Batches, SendParallelism)
	b.SequentialWall = time.Duration(b.SequentialSteps) * latency
	b.Calls = map[string]int{
		OpDescribeOrganization:  1,
		OpListAccountsForParent: b.AccountPages,
		OpListOUsForParent:      b.OUPages,
		OpSendMessageBatch:      b.Batches,
	}
	return b, nil
}

func (t OUTree) check() error {
	if t.Accounts < 0 {
		return fmt.Errorf("an OU with %d accounts", t.Accounts)
	}
	for _, c := range t.Children {
		if err := c.check(); err != nil {
			return err
		}
	}
	return nil
}

// PlanFormula is the plan's bound in words and symbols, for the results.
const PlanFormula = `A accounts below the top OU, R regions, L = latency of every call
N     = A·R                       work items, one per account and region
B_s   = ⌈N/10⌉                    SendMessageBatch calls (10 entries at most each)
P_A   = Σ_ou max(1, ⌈a_ou/20⌉)    ListAccountsForParent pages (a_ou: the OU's own accounts)
P_O   = Σ_ou max(1, ⌈c_ou/20⌉)    ListOrganizationalUnitsForParent pages (c_ou: its child OUs)
calls_min = P_A + P_O + B_s

Any planner, SendMessageBatch 4 at a time (the planner's parallelism), listings unbounded:
  k(top) = 0 (named by the request); a child OU is known when its parent's page naming it returns:
  k(child i of o) = k(o) + ⌊i/20⌋ + 1; account page j of o returns at k(o) + j.
  list  = max over OUs of k(o) + max(⌈a_o/20⌉, ⌈c_o/20⌉, 1)
  send  = first step by which every work item has gone, sending in each step up to 4·10 of
          those whose account has returned (simulated step by step)
  T_min = L · max(list, send)

This function's planner (internal/org): one DescribeOrganization (the management account, which
no plan reaches), then one listing call at a time, depth first, then the sends:
  T_seq = L · (1 + P_A + P_O + ⌈B_s/4⌉)`

// Explain writes out the plan bound's arithmetic.
func (b PlanBound) Explain() string {
	return fmt.Sprintf("%d OUs, A = %s, R = %d, N = %s, B_s = %s, P_A = %d, P_O = %d; any planner: list = %d, send = %d (from step %d) → %d × %s = %s; this planner: 1 + %d + %d + ⌈%d/4⌉ = %d × %s = %s",
		b.OUs, thousands(b.Accounts), b.Regions, thousands(b.WorkItems), thousands(b.Batches), b.AccountPages, b.OUPages,
		b.ListSteps, b.Steps, b.ItemsFrom, b.Steps, exact(b.Latency), duration(b.Wall),
		b.AccountPages, b.OUPages, b.Batches, b.SequentialSteps, exact(b.Latency), duration(b.SequentialWall))
}

// BatchSchedule is the time one SQS batch of work items takes in this
// function's dispatcher (internal/cleanup), warm, when every call takes
// Latency: it asks AWS Organizations once per account of the batch whether
// the account is still below the offboarding OU (one ListParents: the
// parents of the OUs above it are cached by a warm function),
// ScopeParallelism at a time, then sweeps the work items' scopes,
// ScopeParallelism at a time: each wave assumes the member role first (one
// AssumeRole, shared by a wave's scopes of one account and cached across
// waves, so this overstates), then sweeps with the engine's lower bound
// (Sweep).
type BatchSchedule struct {
	Items, Regions int
	Sweep          Bound
	// Accounts is the most accounts Items consecutive work items of the
	// planner's account-major order can touch: 1 + ⌈(Items−1)/Regions⌉.
	Accounts int
	// Waves is ⌈Items/4⌉; RouteSteps ⌈Accounts/4⌉, SweepSteps Waves·(1 +
	// the sweep's steps).
	Waves, RouteSteps, SweepSteps int
	Steps                         int
	Wall                          time.Duration
}

// NewBatchSchedule works out the schedule of a batch of items work items
// of a plan over regions regions, each sweeping a scope whose bound is
// sweep.
func NewBatchSchedule(items, regions int, sweep Bound) BatchSchedule {
	s := BatchSchedule{Items: items, Regions: regions, Sweep: sweep, Waves: ceilDiv(items, ScopeParallelism)}
	s.Accounts = min(items, 1+ceilDiv(items-1, max(regions, 1)))
	s.RouteSteps = ceilDiv(s.Accounts, ScopeParallelism)
	s.SweepSteps = s.Waves * (1 + sweep.Steps)
	s.Steps = s.RouteSteps + s.SweepSteps
	s.Wall = time.Duration(s.Steps) * sweep.Latency
	return s
}

// BatchFormula is the dispatcher's schedule of a batch in symbols.
const BatchFormula = `B work items of one batch, P = 4 scopes (work items) at once, s = the steps of one scope's sweep
(the sweep's lower bound above, for its connections and services)
a = 1 + ⌈(B−1)/R⌉ the most accounts B consecutive work items of R regions each touch
T_batch ≈ L · (⌈a/P⌉ + ⌈B/P⌉ · (1 + s))
          route: one ListParents per account of the batch, P at a time (the OUs' parents cached, warm)
          scopes: one AssumeRole per wave of P scopes (at most), then the sweep`

// Ramp is how Lambda's SQS event source scales its concurrent
// invocations up while messages wait: Initial batches at once, then up to
// PerMinute more each minute, up to the MaximumConcurrency.
type Ramp struct {
	Initial, PerMinute int
}

// LambdaSQSRamp is the documented ramp of a standard queue's event source
// ("Configuring scaling behavior for SQS event source mappings", AWS Lambda
// Developer Guide): five batches at once, then up to 300 more instances a
// minute. "Up to" makes it the fastest ramp, so projections with it stay
// optimistic.
var LambdaSQSRamp = Ramp{Initial: 5, PerMinute: 300}

// start is when the i-th concurrent invocation (from 0) may start: the
// first Initial at once, one more every minute/PerMinute after. A zero
// Ramp starts them all at once.
func (r Ramp) start(i int) time.Duration {
	if r.PerMinute <= 0 || i < r.Initial {
		return 0
	}
	return time.Duration(i-r.Initial+1) * time.Minute / time.Duration(r.PerMinute)
}

// Projection is the wall time of a whole plan's work items run by Lambda's
// SQS event source, projected from the measured time of a batch.
type Projection struct {
	// WorkItems (N), BatchSize (B, the event source's BatchSize) and
	// MaxConcurrency (M, its ScalingConfig.MaximumConcurrency: the
	// template's MaxConcurrentWorkItems).
	WorkItems, BatchSize, MaxConcurrency int
	// First is the measured time of an execution environment's first batch
	// (its INIT, cold caches and connections included), Batch of a later
	// one.
	First, Batch time.Duration
	// Batches is ⌈N/B⌉; Waves ⌈Batches/M⌉, the most batches one of the M
	// concurrent invocations runs, one after the other.
	Batches, Waves int
	// Wall is First + (Waves − 1) × Batch: all M invocations from the
	// start.
	Wall time.Duration
	// Ramped is the same with the invocations added as Ramp allows (each
	// batch to the invocation free first, simulated); Ramp is the ramp
	// used, and RampedUp when the M-th invocation may start.
	Ramp     Ramp
	Ramped   time.Duration
	RampedUp time.Duration
}

// Project projects the wall time of n work items in batches of batchSize,
// at most m batches at once, an execution environment's first batch taking
// first and each later one batch; ramp says how fast the m come.
func Project(n, batchSize, m int, first, batch time.Duration, ramp Ramp) (Projection, error) {
	if n < 0 || batchSize < 1 || m < 1 || first < 0 || batch < 0 || ramp.Initial < 0 || ramp.PerMinute < 0 {
		return Projection{}, fmt.Errorf("project %d work items in batches of %d, %d at once, %s and %s a batch, ramp %+v: want n ≥ 0, a batch size and a concurrency of at least 1, no negative time or ramp",
			n, batchSize, m, first, batch, ramp)
	}
	p := Projection{WorkItems: n, BatchSize: batchSize, MaxConcurrency: m, First: first, Batch: batch, Ramp: ramp}
	p.Batches = ceilDiv(n, batchSize)
	p.Waves = ceilDiv(p.Batches, m)
	if p.Waves > 0 {
		p.Wall = first + time.Duration(p.Waves-1)*batch
	}
	p.RampedUp = ramp.start(m - 1)

	// Each batch goes to the invocation that is free first; an invocation
	// is free from its start on, and its first batch takes first.
	free := make([]time.Duration, m)
	ran := make([]bool, m)
	for i := range free {
		free[i] = ramp.start(i)
	}
	for range p.Batches {
		i := 0
		for j := range free {
			if free[j] < free[i] {
				i = j
			}
		}
		d := batch
		if !ran[i] {
			d, ran[i] = first, true
		}
		free[i] += d
		p.Ramped = max(p.Ramped, free[i])
	}
	return p, nil
}

// ProjectionFormula is the projection's model in words and symbols.
const ProjectionFormula = `N work items, B = the event source's BatchSize (10), M = its MaximumConcurrency (the
template's MaxConcurrentWorkItems); T_1 = measured time of an execution environment's first batch of
B work items (its INIT, cold caches and connections), T_b = median time of a later batch
batches = ⌈N/B⌉
waves   = ⌈batches/M⌉                each of the M concurrent invocations runs its batches one after the other
T_items = T_1 + (waves − 1) · T_b    all M invocations from the start
ramped  = the same, with Lambda's documented ramp of a standard queue (5 batches at once, then up to
          300 more invocations a minute, i.e. one more every 200 ms, up to M), each batch going to the
          invocation free first (simulated)
whole plan = planning wall + ramped`

// Explain writes out one projection's arithmetic.
func (p Projection) Explain() string {
	return fmt.Sprintf("⌈⌈%s/%d⌉/%d⌉ = %s waves: %s + %s × %s = %s",
		thousands(p.WorkItems), p.BatchSize, p.MaxConcurrency, thousands(p.Waves),
		duration(p.First), thousands(max(0, p.Waves-1)), duration(p.Batch), duration(p.Wall))
}
