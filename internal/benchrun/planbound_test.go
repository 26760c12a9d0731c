package benchrun

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

func TestPlanLowerBoundWorkedExamples(t *testing.T) {
	const l = 30 * time.Millisecond
	leaf := func(a int) OUTree { return OUTree{Accounts: a} }
	many := func(n int, t OUTree) []OUTree {
		out := make([]OUTree, n)
		for i := range out {
			out[i] = t
		}
		return out
	}
	tests := []struct {
		name                                   string
		tree                                   OUTree
		regions                                int
		ous, items, batches, accPages, ouPages int
		list, from, steps, seq                 int
	}{
		{
			// The benchmark's organization: 5 OUs of 4 OUs of 50 accounts.
			// The leaves are known at step 2 (two OU pages down); their
			// account pages return at 3, 4 and 5. 4,000 work items go 40 a
			// step from step 3: 100 steps, the last ending at 103.
			// This planner: DescribeOrganization, 6 + 60 account pages and
			// 26 OU pages one at a time, then ⌈400/4⌉ = 100 steps of sends.
			name:    "1,000 accounts in 5 × 4 OUs, 4 regions",
			tree:    OUTree{Children: many(5, OUTree{Children: many(4, leaf(50))})},
			regions: 4,
			ous:     26, items: 4000, batches: 400, accPages: 66, ouPages: 26,
			list: 5, from: 3, steps: 103, seq: 1 + 92 + 100,
		},
		{
			// One OU: 50 account pages, 20 accounts (80 work items) a step
			// back from step 1 on, sent 40 a step in steps 1 to 100: the
			// last ends at 101.
			name:    "1,000 accounts in the top OU",
			tree:    leaf(1000),
			regions: 4,
			ous:     1, items: 4000, batches: 400, accPages: 50, ouPages: 1,
			list: 50, from: 1, steps: 101, seq: 1 + 51 + 100,
		},
		{
			name:    "a small plan waits for its one page",
			tree:    leaf(3),
			regions: 1,
			ous:     1, items: 3, batches: 1, accPages: 1, ouPages: 1,
			list: 1, from: 1, steps: 2, seq: 1 + 3,
		},
		{
			// 45 child OUs take 3 OU pages: 20 known at 1, 20 at 2, 5 at
			// 3; their accounts return a step later: 80, 80 and 20 work
			// items at 2, 3 and 4, sent 40 a step from step 2: the last
			// of 180 goes in step 6.
			name:    "a wide OU",
			tree:    OUTree{Children: many(45, leaf(1))},
			regions: 4,
			ous:     46, items: 180, batches: 18, accPages: 46, ouPages: 48,
			list: 4, from: 2, steps: 7, seq: 1 + 46 + 48 + 5,
		},
		{
			// Deep and empty: the listing alone.
			name:    "no accounts",
			tree:    OUTree{Children: []OUTree{{Children: []OUTree{{}}}}},
			regions: 2,
			ous:     3, items: 0, batches: 0, accPages: 3, ouPages: 3,
			list: 3, from: -1, steps: 3, seq: 1 + 6,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := PlanLowerBound(tt.tree, tt.regions, l)
			if err != nil {
				t.Fatal(err)
			}
			got := []int{b.OUs, b.WorkItems, b.Batches, b.AccountPages, b.OUPages, b.ListSteps, b.ItemsFrom, b.Steps, b.SequentialSteps}
			want := []int{tt.ous, tt.items, tt.batches, tt.accPages, tt.ouPages, tt.list, tt.from, tt.steps, tt.seq}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("OUs, work items, batches, account pages, OU pages, list, from, steps, sequential = %v, want %v", got, want)
				}
			}
			if b.Wall != time.Duration(tt.steps)*l || b.SequentialWall != time.Duration(tt.seq)*l {
				t.Errorf("wall %s, sequential %s", b.Wall, b.SequentialWall)
			}
			if b.TotalCalls() != 1+tt.accPages+tt.ouPages+tt.batches { // DescribeOrganization, then the pages and batches
				t.Errorf("calls %v", b.Calls)
			}
			if b.Steps > b.SequentialSteps {
				t.Errorf("the bound of any planner, %d steps, is above this planner's %d", b.Steps, b.SequentialSteps)
			}
		})
	}
}

// TestPlanLowerBoundMatchesClosedForm checks the send simulation on random
// trees against its closed form: the work items whose account returns at
// step t or later cannot go before t, and at most 40 go a step, so the
// sends end no sooner than max over t of t + ⌈(R·accounts returned at t or
// later)/40⌉; the simulation reaching it shows that it is the least.
func TestPlanLowerBoundMatchesClosedForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var random func(depth int) OUTree
	random = func(depth int) OUTree {
		t := OUTree{Accounts: rng.IntN(70)}
		if depth < 4 {
			for range rng.IntN(max(1, 30>>depth)) {
				t.Children = append(t.Children, random(depth+1))
			}
		}
		return t
	}
	for i := range 300 {
		tree, regions := random(0), 1+rng.IntN(6)
		b, err := PlanLowerBound(tree, regions, time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		// Accounts returned at each step, as the formula says.
		at := map[int]int{}
		var walk func(o OUTree, known int)
		walk = func(o OUTree, known int) {
			for j := 1; j <= ceilDiv(o.Accounts, OrgPageSize); j++ {
				at[known+j] += min(OrgPageSize, o.Accounts-OrgPageSize*(j-1))
			}
			for c, child := range o.Children {
				walk(child, known+c/OrgPageSize+1)
			}
		}
		walk(tree, 0)
		send := 0
		for t0 := range at {
			later := 0
			for t1, n := range at {
				if t1 >= t0 {
					later += n
				}
			}
			if later > 0 {
				send = max(send, t0+ceilDiv(later*regions, SendParallelism*SendBatchSize))
			}
		}
		if want := max(b.ListSteps, send); b.Steps != want {
			t.Fatalf("tree %d (%d OUs, %d accounts, %d regions): %d steps, the closed form says %d", i, b.OUs, b.Accounts, regions, b.Steps, want)
		}
	}
}

func TestPlanLowerBoundRefusesNonsense(t *testing.T) {
	for _, c := range []struct {
		tree    OUTree
		regions int
		latency time.Duration
	}{
		{OUTree{Accounts: 1}, 0, time.Millisecond},
		{OUTree{Accounts: 1}, 1, -time.Millisecond},
		{OUTree{Children: []OUTree{{Accounts: -1}}}, 1, time.Millisecond},
	} {
		if _, err := PlanLowerBound(c.tree, c.regions, c.latency); err == nil {
			t.Errorf("PlanLowerBound(%+v, %d, %s) accepted", c.tree, c.regions, c.latency)
		}
	}
}

func TestProject(t *testing.T) {
	const first, batch = 900 * time.Millisecond, 600 * time.Millisecond
	for _, tt := range []struct {
		n, b, m        int
		batches, waves int
		wall           time.Duration
	}{
		{4000, 10, 2, 400, 200, first + 199*batch},
		{4000, 10, 10, 400, 40, first + 39*batch},
		{4000, 10, 50, 400, 8, first + 7*batch},
		{4000, 10, 1000, 400, 1, first},
		// A last, part-filled batch counts as a whole one.
		{4001, 10, 2, 401, 201, first + 200*batch},
		{4000, 10, 3, 400, 134, first + 133*batch},
		{0, 10, 2, 0, 0, 0},
	} {
		p, err := Project(tt.n, tt.b, tt.m, first, batch, Ramp{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Batches != tt.batches || p.Waves != tt.waves || p.Wall != tt.wall {
			t.Errorf("Project(%d, %d, %d) = %d batches, %d waves, %s; want %d, %d, %s", tt.n, tt.b, tt.m, p.Batches, p.Waves, p.Wall, tt.batches, tt.waves, tt.wall)
		}
		// Without a ramp the simulation is the closed form.
		if p.Ramped != p.Wall || p.RampedUp != 0 {
			t.Errorf("Project(%d, %d, %d) without a ramp: simulated %s, up at %s; want %s at once", tt.n, tt.b, tt.m, p.Ramped, p.RampedUp, p.Wall)
		}
	}
	for _, bad := range [][3]int{{-1, 10, 2}, {10, 0, 2}, {10, 10, 0}} {
		if _, err := Project(bad[0], bad[1], bad[2], first, batch, LambdaSQSRamp); err == nil {
			t.Errorf("Project(%v) accepted", bad)
		}
	}
	p, err := Project(4000, 10, 50, first, batch, Ramp{})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Explain(); got != "⌈⌈4,000/10⌉/50⌉ = 8 waves: 900 ms + 7 × 600 ms = 5.10 s" {
		t.Errorf("Explain = %q", got)
	}
}

// TestProjectRamp works the ramp out by hand: 5 invocations at once, one
// more every 200 ms.
func TestProjectRamp(t *testing.T) {
	const first, batch = 300 * time.Millisecond, 200 * time.Millisecond
	// M = 2: the ramp starts above it, so both run from the start.
	p, err := Project(40, 10, 2, first, batch, LambdaSQSRamp)
	if err != nil {
		t.Fatal(err)
	}
	if p.RampedUp != 0 || p.Ramped != first+batch || p.Wall != first+batch {
		t.Errorf("M = 2: ramped %s (up at %s), wall %s; want 500ms both", p.Ramped, p.RampedUp, p.Wall)
	}
	// M = 7, 12 batches: five start at 0 and end their first at 300 ms;
	// the sixth invocation starts at 200 ms and ends at 500 ms; batches 7
	// to 11 go to the first five at 300 ms and end at 500 ms; the seventh
	// invocation, free from 400 ms, takes the last and ends at 700 ms.
	// Without the ramp: 2 waves, 500 ms.
	p, err = Project(120, 10, 7, first, batch, LambdaSQSRamp)
	if err != nil {
		t.Fatal(err)
	}
	if p.RampedUp != 400*time.Millisecond || p.Ramped != 700*time.Millisecond || p.Wall != 500*time.Millisecond {
		t.Errorf("M = 7: ramped %s (up at %s), wall %s; want 700ms (up at 400ms), 500ms", p.Ramped, p.RampedUp, p.Wall)
	}
	// The ramp never helps, and more concurrency never hurts.
	prev := time.Duration(1 << 62)
	for m := 1; m <= 200; m++ {
		p, err := Project(4000, 10, m, first, batch, LambdaSQSRamp)
		if err != nil {
			t.Fatal(err)
		}
		if p.Ramped < p.Wall || p.Ramped > prev {
			t.Fatalf("M = %d: ramped %s, wall %s, at M − 1 %s", m, p.Ramped, p.Wall, prev)
		}
		prev = p.Ramped
	}
}

func TestBatchSchedule(t *testing.T) {
	p := NewPopulation(4, 3) // 2 in use, 2 free
	sweep, err := LowerBound(Sweep{Connections: p.Connections, Services: p.Services, Free: p.Free, Concurrency: 8, Latency: 30 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if sweep.Steps != 3 {
		t.Fatalf("a sweep of 4 connections and 3 services: %d steps, want 3 (pages, describes, tags)", sweep.Steps)
	}
	for _, tc := range []struct {
		items, regions, accounts, route, steps int
	}{
		// 10 work items of 4 regions touch at most 4 accounts (1+4+4+1):
		// one step of 4 ListParents, then 3 waves of an AssumeRole and a
		// 3-step sweep.
		{10, 4, 4, 1, 13},
		// One region: an account per work item, 3 steps of ListParents.
		{10, 1, 10, 3, 15},
		// More regions than work items: at most 2 accounts.
		{10, 17, 2, 1, 13},
		{1, 4, 1, 1, 5},
	} {
		s := NewBatchSchedule(tc.items, tc.regions, sweep)
		if s.Accounts != tc.accounts || s.RouteSteps != tc.route || s.Steps != tc.steps || s.Wall != time.Duration(tc.steps)*30*time.Millisecond {
			t.Errorf("%d work items of %d regions: schedule %+v, want %d accounts, %d route steps, %d steps", tc.items, tc.regions, s, tc.accounts, tc.route, tc.steps)
		}
	}
}

// TestWritePlanMarkdown renders made-up plan results: the planning beside
// both bounds, the batches, and the projections with their arithmetic.
func TestWritePlanMarkdown(t *testing.T) {
	const l = 30 * time.Millisecond
	shape := OrgShape{Accounts: 1000, Fanout: []int{5, 4}}
	regions := []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1"}
	bd, err := PlanLowerBound(shape.Tree(), len(regions), l)
	if err != nil {
		t.Fatal(err)
	}
	pop := NewPopulation(4, 3)
	sweep, err := LowerBound(Sweep{Connections: 4, Services: 3, Free: 2, Concurrency: 8, Latency: l})
	if err != nil {
		t.Fatal(err)
	}
	batch := func(d time.Duration, parents, roles int) BatchResult {
		return BatchResult{Items: 10, Invoke: d, Duration: d - time.Millisecond, Calls: map[string]int{
			"organizations:ListParents": parents, "sts:AssumeRole": roles,
			"ListConnections": 10, "ListServices": 10, "DescribeService": 30, "ListTagsForResource": 20,
		}}
	}
	pr := &PlanResult{
		Options: PlanOptions{Shape: shape, Regions: regions, Population: pop, Latency: l, Concurrency: 8, Sample: 30, MaxConcurrency: []int{2, 50}},
		Bound:   bd, Seeding: 60 * time.Millisecond,
		Planning: 6050 * time.Millisecond, PlanProcess: 6090 * time.Millisecond,
		PlanCalls:      map[string]int{OpListAccountsForParent: 66, OpListOUsForParent: 26, OpSendMessageBatch: 400},
		OtherPlanCalls: map[string]int{"sts:GetCallerIdentity": 1},
		WorkItems:      4000, Queued: 4000, Accounts: 1000, PlanPeakRSS: 40 << 20,
		Batches: []BatchResult{batch(680*time.Millisecond, 9, 3), batch(540*time.Millisecond, 3, 3), batch(480*time.Millisecond, 4, 2)},
		First:   680 * time.Millisecond, Batch: 510 * time.Millisecond,
		Schedule: NewBatchSchedule(10, 4, sweep),
		Throttled: &ThrottledRun{
			Options:   ThrottledOptions{Limit: apprunnerlocal.RateLimit{PerSecond: 10, Burst: 10}, Environments: 10},
			WorkItems: 4000, Deliveries: 4014, Batches: 402, Redelivered: 14, Wall: 162 * time.Second,
			OrgCalls:       map[string]int{"organizations:DescribeOrganization": 10, "organizations:ListParents": 1527},
			Throttled:      map[string]int{"organizations:ListParents": 739},
			FailureReasons: map[string]int{"throttled after the SDK's retries: check account ACCOUNT": 14},
		},
	}
	for _, m := range pr.Options.MaxConcurrency {
		p, err := Project(4000, 10, m, pr.First, pr.Batch, LambdaSQSRamp)
		if err != nil {
			t.Fatal(err)
		}
		pr.Projections = append(pr.Projections, p)
	}
	r := &Results{Plan: pr, PlanElapsed: 8 * time.Second}
	var sb strings.Builder
	r.writePlan(func(format string, args ...any) { fmt.Fprintf(&sb, format+"\n", args...) })
	out := sb.String()
	for _, want := range []string{
		"## Organization plan",
		`{"action":"offboard","dryRun":true,"organizationalUnitIds":["ou-bnch-workloads"],"regions":["us-east-1","us-east-2","us-west-2","eu-west-1"]}`,
		"**1,000 member accounts**",
		"which holds 5 OUs of 4 OUs each;",
		"the 20 OUs of the last level (50 each): 26 OUs in all",
		"28,000 resources in all",
		// 6.05 s against 103 and 192 steps of 30 ms
		"| 1,000 × 4 | 4,000 | 6.05 s | 3.09 s | 1.96 | 5.79 s | 1.04 | 92 | 400 | 493 | 6.09 s | 40.0 MiB |",
		"ListAccountsForParent 66 / 66, ListOrganizationalUnitsForParent 26 / 26, SendMessageBatch 400 / 400; besides them sts:GetCallerIdentity 1.",
		"T_seq = L · (1 + P_A + P_O + ⌈B_s/4⌉)",
		"any planner: list = 5, send = 103 (from step 3) → 103 × 30 ms = 3.09 s; this planner: 1 + 66 + 26 + ⌈400/4⌉ = 193 × 30 ms = 5.79 s",
		"| 1 (cold) | 10 | 680 ms | 679 ms | 68.0 ms | 9 | 3 | 70 |",
		"| 3 | 10 | 480 ms | 479 ms | 48.0 ms | 4 | 2 | 70 |",
		"it asked ListParents 9 times",
		"`OFFBOARD_OU_ID=ou-bnch-workloads`",
		"**T_b = 510 ms** (the median of the 2 batches after it): **51.0 ms a work",
		"here a = 1 + ⌈9/4⌉ = 4, s = 3",
		"so ⌈4/4⌉ + 3 · (1 + 3) = 13 steps\n  = 390 ms; T_b is 1.31× it.",
		// 200 waves: 680 ms + 199 × 510 ms; the ramp starts above M = 2
		"| 2 | 400 | 200 | 102 s | 102 s | 108 s | 14 |",
		"- M = 2: ⌈⌈4,000/10⌉/2⌉ = 200 waves: 680 ms + 199 × 510 ms = 102 s; the ramp adds nothing",
		"- M = 50: ⌈⌈4,000/10⌉/50⌉ = 8 waves: 680 ms + 7 × 510 ms = 4.25 s; with the ramp, invocation 50 may start at 9.00 s.",
		"0.35 calls a work item",
		// 1,537 answered calls, 10 at once and 1,527 at 10 a second
		"| 4,000 | 10 | 10/s | 162 s | 1,537 | 0.38 | 739 | 153 s | 1.06 | 402 | 14 | 0 |",
		"14 × “throttled after the SDK's retries: check account ACCOUNT”",
		"This section took 8.00 s of the run",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
