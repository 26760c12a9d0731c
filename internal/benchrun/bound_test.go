package benchrun

import (
	"maps"
	"slices"
	"testing"
	"time"
)

func TestLowerBoundWorkedExamples(t *testing.T) {
	const l = 30 * time.Millisecond
	tests := []struct {
		name                     string
		s                        Sweep
		pc, ps, d, index, decide int
		wall                     time.Duration
		calls                    int
	}{
		{
			// 30 services: page 1 (20) at 1·L fills 8+8+4 slots in steps
			// 1..3, page 2 (10) arrives at 2·L: 4+8 in step 3, 2 in step 4,
			// so the describes end at 5·L. 5 tags: one step.
			name: "10 connections, 30 services",
			s:    Sweep{Connections: 10, Services: 30, Free: 5, Concurrency: 8, Latency: l},
			pc:   1, ps: 2, d: 5, index: 5, decide: 1, wall: 6 * l, calls: 1 + 2 + 30 + 5,
		},
		{
			// Describes are the bottleneck from the first page on:
			// 1 + ⌈300/8⌉ = 39; ⌈50/8⌉ = 7.
			name: "100 connections, 300 services",
			s:    Sweep{Connections: 100, Services: 300, Free: 50, Concurrency: 8, Latency: l},
			pc:   1, ps: 15, d: 39, index: 39, decide: 7, wall: 46 * l, calls: 1 + 15 + 300 + 50,
		},
		{
			name: "1,000 connections, 3,000 services",
			s:    Sweep{Connections: 1000, Services: 3000, Free: 500, Concurrency: 8, Latency: l},
			pc:   10, ps: 150, d: 376, index: 376, decide: 63, wall: 439 * l, calls: 10 + 150 + 3000 + 500,
		},
		{
			// With more slots than a page brings, the service chain sets
			// the pace: the last page returns at 150·L, its describes end
			// a step later.
			name: "slots outrun the service chain",
			s:    Sweep{Connections: 1000, Services: 3000, Free: 500, Concurrency: 64, Latency: l},
			pc:   10, ps: 150, d: 151, index: 151, decide: 8, wall: 159 * l, calls: 3660,
		},
		{
			// Many connections, few services: the connection chain is last.
			name: "the connection chain is the longest",
			s:    Sweep{Connections: 2000, Services: 10, Free: 1995, Concurrency: 8, Latency: l},
			pc:   20, ps: 1, d: 3, index: 20, decide: 250, wall: 270 * l, calls: 20 + 1 + 10 + 1995,
		},
		{
			name: "an empty account still lists once each",
			s:    Sweep{Concurrency: 8, Latency: l},
			pc:   1, ps: 1, d: 0, index: 1, decide: 0, wall: l, calls: 2,
		},
		{
			// 9 look-ups and 9 deletions on 8 slots: 8 look-ups; 1 look-up
			// and 7 deletions; 2 deletions.
			name: "a real sweep deletes after each look-up",
			s:    Sweep{Connections: 9, Services: 0, Free: 9, Concurrency: 8, Latency: l, Delete: true},
			pc:   1, ps: 1, d: 0, index: 1, decide: 3, wall: 4 * l, calls: 1 + 1 + 9 + 9,
		},
		{
			name: "one deletion still waits for its look-up",
			s:    Sweep{Connections: 1, Services: 0, Free: 1, Concurrency: 8, Latency: l, Delete: true},
			pc:   1, ps: 1, d: 0, index: 1, decide: 2, wall: 3 * l, calls: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := LowerBound(tt.s)
			if err != nil {
				t.Fatal(err)
			}
			if b.ConnectionPages != tt.pc || b.ServicePages != tt.ps || b.DescribeSteps != tt.d ||
				b.IndexSteps != tt.index || b.DecideSteps != tt.decide || b.Steps != tt.index+tt.decide {
				t.Errorf("P_C %d, P_S %d, D %d, index %d, decide %d, steps %d; want %d, %d, %d, %d, %d, %d",
					b.ConnectionPages, b.ServicePages, b.DescribeSteps, b.IndexSteps, b.DecideSteps, b.Steps,
					tt.pc, tt.ps, tt.d, tt.index, tt.decide, tt.index+tt.decide)
			}
			if b.Wall != tt.wall {
				t.Errorf("wall %s, want %s", b.Wall, tt.wall)
			}
			if b.TotalCalls() != tt.calls {
				t.Errorf("calls %d %v, want %d", b.TotalCalls(), b.Calls, tt.calls)
			}
			if b.Calls["DeleteConnection"] != 0 && !tt.s.Delete {
				t.Errorf("a dry run counts %d deletions", b.Calls["DeleteConnection"])
			}
		})
	}
}

// TestLowerBoundMatchesClosedForms checks the simulation against the closed
// forms over a grid. For the describes, max over pages i of
// i + ⌈n_i/K⌉ (n_i: the services of pages i and later) is a lower bound of
// any schedule, since those n_i cannot start before i·L; the simulation
// reaching it shows that it is the least.
func TestLowerBoundMatchesClosedForms(t *testing.T) {
	for _, k := range []int{1, 2, 3, 7, 8, 20, 21, 64} {
		for _, s := range []int{0, 1, 7, 19, 20, 21, 39, 40, 41, 99, 300, 1001} {
			for _, c := range []int{0, 1, 99, 100, 101, 1000} {
				for _, f := range []int{0, min(1, c), c / 3, c} {
					for _, del := range []bool{false, true} {
						sw := Sweep{Connections: c, Services: s, Free: f, Concurrency: k, Latency: time.Millisecond, Delete: del}
						b, err := LowerBound(sw)
						if err != nil {
							t.Fatal(err)
						}
						d := 0
						for i := 1; i <= b.ServicePages; i++ {
							if n := s - ServicesPerPage*(i-1); n > 0 {
								d = max(d, i+ceilDiv(n, k))
							}
						}
						decide := ceilDiv(f, k)
						if del && f > 0 {
							decide = max(2, ceilDiv(2*f, k))
						}
						want := max(ceilDiv(c, ConnectionsPerPage), 1, ceilDiv(s, ServicesPerPage), d) + decide
						if b.DescribeSteps != d || b.Steps != want {
							t.Fatalf("%+v: D %d, steps %d; closed forms say %d, %d", sw, b.DescribeSteps, b.Steps, d, want)
						}
						if b.Wall != time.Duration(want)*time.Millisecond {
							t.Fatalf("%+v: wall %s for %d steps", sw, b.Wall, want)
						}
					}
				}
			}
		}
	}
}

func TestLowerBoundRefusesNonsense(t *testing.T) {
	for _, s := range []Sweep{
		{Connections: 1, Free: 2, Concurrency: 1},
		{Connections: -1, Concurrency: 1},
		{Connections: 1, Concurrency: 0},
		{Concurrency: 1, Latency: -time.Second},
	} {
		if _, err := LowerBound(s); err == nil {
			t.Errorf("LowerBound(%+v) accepted", s)
		}
	}
}

// huSteps is the least number of steps of the index phase when the page
// calls take slots too, by Hu's algorithm, which is optimal for equal-length
// tasks on K machines when every task has at most one successor (an
// in-forest). The index phase is an out-forest (a page opens the next page
// and its describes); run backwards in time it is an in-forest with the
// same least makespan: describes feed their page, each page the one before.
func huSteps(c, s, k int) int {
	type node struct {
		level, parent, waiting int // waiting: children not yet run
	}
	var nodes []node
	chain := func(pages int, describes func(page int) int) {
		prev := -1
		for i := 1; i <= pages; i++ {
			nodes = append(nodes, node{level: i, parent: prev})
			page := len(nodes) - 1
			if prev >= 0 {
				nodes[prev].waiting++
			}
			for range describes(i) {
				nodes = append(nodes, node{level: i + 1, parent: page})
				nodes[page].waiting++
			}
			prev = page
		}
	}
	chain(pages(s, ServicesPerPage), func(i int) int { return max(0, min(ServicesPerPage, s-ServicesPerPage*(i-1))) })
	chain(pages(c, ConnectionsPerPage), func(int) int { return 0 })

	done := make([]bool, len(nodes))
	left, steps := len(nodes), 0
	for left > 0 {
		var ready []int
		for i, n := range nodes {
			if !done[i] && n.waiting == 0 {
				ready = append(ready, i)
			}
		}
		// Highest level first.
		slices.SortStableFunc(ready, func(a, b int) int { return nodes[b].level - nodes[a].level })
		ready = ready[:min(k, len(ready))]
		for _, i := range ready {
			done[i] = true
			if p := nodes[i].parent; p >= 0 {
				nodes[p].waiting--
			}
		}
		left -= len(ready)
		steps++
	}
	return steps
}

func TestLowerBoundWithSharedSlotsIsOptimal(t *testing.T) {
	for _, k := range []int{1, 2, 3, 5, 8, 21} {
		for _, s := range []int{0, 1, 19, 20, 21, 45, 100, 163} {
			for _, c := range []int{0, 100, 101, 450} {
				sw := Sweep{Connections: c, Services: s, Concurrency: k, Latency: time.Millisecond, PagesTakeSlots: true}
				b, err := LowerBound(sw)
				if err != nil {
					t.Fatal(err)
				}
				if want := huSteps(c, s, k); b.IndexSteps != want {
					t.Errorf("%+v: index %d steps, Hu's algorithm %d", sw, b.IndexSteps, want)
				}
				free, err := LowerBound(Sweep{Connections: c, Services: s, Concurrency: k, Latency: time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				if b.IndexSteps < free.IndexSteps {
					t.Errorf("%+v: shared slots %d steps, fewer than the %d with the pages outside them", sw, b.IndexSteps, free.IndexSteps)
				}
			}
		}
	}
	// The example of the results: 1,000 connections and 3,000 services on
	// 8 slots. Chains and describes need 3,160 calls; step 0 can only run
	// the two first pages, so at least ⌈(3,160 + 6)/8⌉ = 396 steps.
	b, err := LowerBound(Sweep{Connections: 1000, Services: 3000, Free: 500, Concurrency: 8, Latency: 30 * time.Millisecond, PagesTakeSlots: true})
	if err != nil {
		t.Fatal(err)
	}
	if b.IndexSteps != 396 || b.Steps != 396+63 {
		t.Errorf("index %d, steps %d; want 396 and 459", b.IndexSteps, b.Steps)
	}
}

// TestLowerBoundOfOtherKinds: each other kind's listing is a chain beside
// the others; observability configurations are described once their
// page is back, on the K slots; a free auto scaling configuration's
// cross-check comes before its tag look-up. Worked by hand for K = 1.
func TestLowerBoundOfOtherKinds(t *testing.T) {
	b, err := LowerBound(Sweep{Concurrency: 1, Latency: time.Second, Others: []Leftovers{
		{Kind: KindObservability, Total: 2, Free: 1},
		{Kind: KindAutoScaling, Total: 1, Free: 1},
	}})
	if err != nil {
		t.Fatal(err)
	}
	// Step 0: the four listings; steps 1 and 2: the two describes; then
	// the cross-check, and the two tag look-ups one at a time.
	if b.IndexSteps != 3 || b.DecideSteps != 3 || b.Wall != 6*time.Second {
		t.Errorf("index %d, decide %d, wall %s; want 3, 3, 6s", b.IndexSteps, b.DecideSteps, b.Wall)
	}
	want := map[string]int{
		"ListConnections": 1, "ListServices": 1, "DescribeService": 0, "ListTagsForResource": 2, "DeleteConnection": 0,
		"ListObservabilityConfigurations": 1, "DescribeObservabilityConfiguration": 2,
		"ListAutoScalingConfigurations": 1, "ListServicesForAutoScalingConfiguration": 1,
	}
	if !maps.Equal(b.Calls, want) {
		t.Errorf("calls %v, want %v", b.Calls, want)
	}
	if _, err := LowerBound(Sweep{Concurrency: 1, Others: []Leftovers{{Kind: "bucket", Total: 1}}}); err == nil {
		t.Error("an unknown kind was accepted")
	}
}
