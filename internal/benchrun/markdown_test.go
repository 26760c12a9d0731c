package benchrun

import (
	"strings"
	"testing"
	"time"
)

func TestFormatting(t *testing.T) {
	for d, want := range map[time.Duration]string{
		500 * time.Microsecond:   "500 µs",
		3252 * time.Microsecond:  "3.25 ms",
		30 * time.Millisecond:    "30.0 ms",
		183 * time.Millisecond:   "183 ms",
		1516 * time.Millisecond:  "1.52 s",
		17940 * time.Millisecond: "17.9 s",
		139 * time.Second:        "139 s",
	} {
		if got := duration(d); got != want {
			t.Errorf("duration(%s) = %q, want %q", d, got, want)
		}
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 15000: "15,000", 1234567: "1,234,567", -3000: "-3,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
	if got := median([]time.Duration{5, 1, 3}); got != 3 {
		t.Errorf("median of 5, 1, 3 = %d", got)
	}
	if got := median([]time.Duration{4, 1, 3, 2}); got != 2 {
		t.Errorf("median of 4, 1, 3, 2 = %d, want (2+3)/2 rounded down", got)
	}
}

// TestWriteMarkdown renders made-up results: the table holds the measured
// and bounded numbers side by side, with the formula and the INIT ratio.
func TestWriteMarkdown(t *testing.T) {
	b, err := LowerBound(Sweep{Connections: 1000, Services: 3000, Free: 500, Concurrency: 8, Latency: 30 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	shared, err := LowerBound(Sweep{Connections: 1000, Services: 3000, Free: 500, Concurrency: 8, Latency: 30 * time.Millisecond, PagesTakeSlots: true})
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]int{"ListConnections": 10, "ListServices": 150, "DescribeService": 3000, "ListTagsForResource": 500}
	run := SweepResult{
		Run: 17560 * time.Millisecond, Process: 17600 * time.Millisecond, CallSpan: 17550 * time.Millisecond,
		EmulatorCalls: calls, ReportCalls: calls, PeakRSS: 30 << 20,
	}
	mem, err := LowerBound(Sweep{Connections: 5000, Services: 15000, Free: 2500, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	r := &Results{
		Config:  Config{Latency: 30 * time.Millisecond, Concurrency: 8, Runs: 3, ColdStarts: 7},
		Machine: Machine{CPU: "Test CPU", Cores: 2, OS: "linux", Arch: "amd64", Go: "go1.26.8"},
		Date:    time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), Command: "make bench OUT=BENCHMARKS.md", Revision: "abc1234",
		Sizes: []SizeResult{{Bound: b, SharedBound: shared, Runs: []SweepResult{run, run, run}, Median: run}},
		Hello: ColdStarts{Name: "hello world", Size: 6 << 20, Inits: []time.Duration{3 * time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond}},
		Bootstrap: ColdStarts{Name: "cleanup function", Size: 10 << 20,
			Inits: []time.Duration{9 * time.Millisecond, 8 * time.Millisecond, 10 * time.Millisecond}},
		Memory: SweepResult{Run: 2 * time.Second, EmulatorCalls: map[string]int{"DescribeService": 15000}, PeakRSS: 64 << 20}, MemoryBound: mem,
	}
	var sb strings.Builder
	if err := r.WriteMarkdown(&sb); err != nil {
		t.Fatal(err)
	}
	out := sb.String()
	for _, want := range []string{
		"Written on 2026-11-25 of revision `abc1234` by:",
		"make bench OUT=BENCHMARKS.md",
		"| CPU | Test CPU |",
		"| Go | go1.26.8 linux/amd64 |",
		"30 ms to every App Runner call, with\nno jitter",
		// measured 17.56 s against 439 steps of 30 ms
		"| 1,000 | 3,000 | 500 | 17.6 s | 13.2 s | 1.33 | 13.8 s (1.28) | 3,660 | 3,660 | 3,660 | 17.6 s | 30.0 MiB |",
		"| 1,000 × 3,000 | 10 / 10 / 10 | 150 / 150 / 150 | 3,000 / 3,000 / 3,000 | 500 / 500 / 500 | 0 / 0 / 0 |",
		"T_min     = L · (index + ⌈F/K⌉)",
		"P_C = 10, P_S = 150, D = 376, index = 376; tags ⌈500/8⌉ = 63; 439 × 30 ms = 13.2 s; with the pages in the K slots, index = 396, 13.8 s",
		"**3.00× the hello world's**",
		"the median of 3 sweeps",
		"5,000 connections and 15,000 services (2,500 free), the emulator adding no latency",
		"**64.0 MiB resident**",
		"15,000 App Runner calls (bound: 18,300); by operation, emulator / report / bound: ListConnections 0 / 0 / 50,",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
