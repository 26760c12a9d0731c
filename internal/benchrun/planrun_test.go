package benchrun

import (
	"context"
	"testing"
	"time"
)

// TestRunPlan plans a small organization and runs a sample of its work
// items: the harness's plumbing, not the function's speed.
func TestRunPlan(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and starts processes")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	bins, err := Build(ctx, "../..", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const latency = 5 * time.Millisecond
	opts := PlanOptions{
		Bootstrap: bins.Bootstrap, RIE: bins.RIE,
		Shape:   OrgShape{Accounts: 45, Fanout: []int{2, 2}},
		Regions: []string{"us-east-1", "eu-west-1"}, Population: NewPopulation(4, 3),
		Latency: latency, Concurrency: 8, Sample: 30, MaxConcurrency: []int{2, 10},
	}
	res, err := RunPlan(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.WorkItems != 90 || res.Queued != 90 || res.Accounts != 45 {
		t.Errorf("%d work items, %d queued, %d accounts; want 90, 90, 45", res.WorkItems, res.Queued, res.Accounts)
	}
	// The planner makes exactly the calls of the bound against this
	// faultless emulator, and cannot be faster than its own sequence.
	for _, op := range PlanOperations {
		if res.PlanCalls[op] != res.Bound.Calls[op] {
			t.Errorf("%s: %d calls, the bound says %d", op, res.PlanCalls[op], res.Bound.Calls[op])
		}
	}
	if Total(res.PlanCalls) != res.Bound.TotalCalls() {
		t.Errorf("planning calls %v, bound %v", res.PlanCalls, res.Bound.Calls)
	}
	if res.Planning < res.Bound.SequentialWall || res.Planning > res.PlanProcess {
		t.Errorf("planning %s, this planner's least %s, process %s", res.Planning, res.Bound.SequentialWall, res.PlanProcess)
	}
	if len(res.Batches) != 3 || res.First <= 0 || res.Batch <= 0 {
		t.Fatalf("batches %+v, first %s, median %s", res.Batches, res.First, res.Batch)
	}
	for i, b := range res.Batches {
		// Each offboarding work item's account is asked once a batch
		// whether it is still below the offboarding OU (ListParents), never
		// described again; a sweep of one page each, 3 describes and 2 tag
		// look-ups.
		if b.Items != 10 || b.Calls["organizations:DescribeAccount"] != 0 || b.Calls["organizations:ListParents"] < 5 ||
			b.AppRunnerCalls() != 10*(1+1+3+2) || b.Duration < res.Schedule.Wall {
			t.Errorf("batch %d: %d items, %s, calls %v; the schedule says %s", i+1, b.Items, b.Duration, b.Calls, res.Schedule.Wall)
		}
	}
	if len(res.Projections) != 2 || res.Projections[0].Batches != 9 || res.Projections[0].Waves != 5 {
		t.Errorf("projections %+v", res.Projections)
	}
	t.Logf("planning %s (bound %s, this planner %s), process %s; batches %v; first %s, median %s",
		res.Planning, res.Bound.Wall, res.Bound.SequentialWall, res.PlanProcess, res.Batches, res.First, res.Batch)
}
