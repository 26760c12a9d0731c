package benchrun

import (
	"context"
	"testing"
	"time"
)

// TestMeasureTheFunction builds the binaries and measures a small sweep and
// one cold start of each function: the harness's plumbing, not the
// engine's speed.
func TestMeasureTheFunction(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and starts processes")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	bins, err := Build(ctx, "../..", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}

	t.Run("sweep", func(t *testing.T) {
		p := NewPopulation(30, 50)
		const latency = 5 * time.Millisecond
		r, err := RunSweep(ctx, SweepOptions{Bootstrap: bins.Bootstrap, Population: p, Concurrency: 4, Latency: latency})
		if err != nil {
			t.Fatal(err)
		}
		b, err := LowerBound(Sweep{Connections: p.Connections, Services: p.Services, Free: p.Free, Concurrency: 4, Latency: latency})
		if err != nil {
			t.Fatal(err)
		}
		// The bound's calls are the fewest; a sweep that made others (a
		// retry, a call more) is possible, but not against this
		// faultless emulator.
		for _, op := range Operations {
			if r.EmulatorCalls[op] != b.Calls[op] || r.ReportCalls[op] != b.Calls[op] {
				t.Errorf("%s: emulator %d, report %d, bound %d", op, r.EmulatorCalls[op], r.ReportCalls[op], b.Calls[op])
			}
		}
		if r.OtherCalls["sts:GetCallerIdentity"] != 1 {
			t.Errorf("STS calls %v, want one GetCallerIdentity", r.OtherCalls)
		}
		if r.Run <= 0 || r.CallSpan <= 0 || r.Run > r.Process || r.CallSpan > r.Process {
			t.Errorf("run %s, span of calls %s, process %s", r.Run, r.CallSpan, r.Process)
		}
		if r.PeakRSS < 1<<20 {
			t.Errorf("peak RSS %d bytes", r.PeakRSS)
		}
	})

	t.Run("INIT", func(t *testing.T) {
		hello, bootstrap, err := MeasureInit(ctx, bins, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []ColdStarts{hello, bootstrap} {
			if len(c.Inits) != 1 || c.Inits[0] <= 0 || c.Size <= 0 {
				t.Errorf("%s: INITs %v, size %d", c.Name, c.Inits, c.Size)
			}
		}
	})
}

func TestCheckOutcomes(t *testing.T) {
	p := NewPopulation(20, 40) // 10 in use, 10 free
	for _, tt := range []struct {
		counts map[string]int
		ok     bool
	}{
		{map[string]int{"in_use": 10, "would_delete": 10, "deleted": 0}, true},
		{map[string]int{"in_use": 10, "would_delete": 9, "protected": 1}, false},
		{map[string]int{"in_use": 10, "would_delete": 9, "failed": 1}, false},
		{map[string]int{"in_use": 11, "would_delete": 9}, false},
		{map[string]int{"in_use": 10}, false},
		{map[string]int{}, false},
		{map[string]int{"in_use": 10, "marked": 10}, false}, // a dry run marks nothing
	} {
		if err := checkOutcomes(p, tt.counts, "would_delete"); (err == nil) != tt.ok {
			t.Errorf("checkOutcomes(%v) = %v, want ok %v", tt.counts, err, tt.ok)
		}
	}
	if err := checkOutcomes(p, map[string]int{"in_use": 10, "marked": 10}, "marked"); err != nil {
		t.Errorf("a marking sweep's outcomes: %v", err)
	}
}
