package cleanup_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// seedAccount gives w n connections and n services, half of the services
// using a connection each.
func seedAccount(w *world, n int) []string {
	var arns []string
	for i := range n {
		c := w.conn(apprunnerlocal.SeedConnection{Name: connName("conn", i)})
		arns = append(arns, c)
		if i%2 == 0 {
			w.service(connName("svc", i), apprunnerlocal.ServiceRunning, c)
		} else {
			w.service(connName("img", i), apprunnerlocal.ServiceRunning, "")
		}
	}
	return arns
}

func calls(rep *request.Report) int {
	n := 0
	for _, c := range rep.APICalls {
		n += c
	}
	return n
}

// BenchmarkDryRunSweep measures a whole sweep decision over the emulator,
// with the usage index rebuilt every run (a cold function) and reused (a
// warm one within the TTL). Compare the two in one run.
func BenchmarkDryRunSweep(b *testing.B) {
	for _, n := range []int{100, 400} {
		for _, ttl := range []time.Duration{0, time.Hour} {
			name := "index=rebuilt"
			if ttl > 0 {
				name = "index=reused"
			}
			b.Run(fmt.Sprintf("size=%d/%s", n, name), func(b *testing.B) {
				w := newWorld(b, apprunnerlocal.Options{}, 3)
				seedAccount(w, n)
				e := w.engine(cleanup.Config{DryRun: true, IndexTTL: ttl})
				var rep *request.Report
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					rep = runRequests(b.Context(), b, e, sweep())
				}
				b.ReportMetric(float64(calls(rep)), "calls/run")
				if rep.Counts[request.OutcomeInUse] != n/2 {
					b.Fatalf("counts %v", rep.Counts)
				}
			})
		}
	}
}

// BenchmarkIndexConcurrency shows what bounded concurrency buys when every
// App Runner call takes 2ms: DescribeService per service dominates a sweep.
func BenchmarkIndexConcurrency(b *testing.B) {
	for _, c := range []int{1, 8} {
		b.Run(fmt.Sprintf("concurrency=%d", c), func(b *testing.B) {
			w := newWorld(b, apprunnerlocal.Options{Latency: 2 * time.Millisecond}, 3)
			seedAccount(w, 100)
			e := w.engine(cleanup.Config{DryRun: true, MaxConcurrency: c})
			for b.Loop() {
				runRequests(b.Context(), b, e, sweep())
			}
		})
	}
}

// BenchmarkDeleteNamed measures named deletions, few (a filtered lookup per
// connection) and many (one listing of them all), in calls and time.
func BenchmarkDeleteNamed(b *testing.B) {
	for _, n := range []int{5, 50} {
		b.Run(fmt.Sprintf("named=%d", n), func(b *testing.B) {
			w := newWorld(b, apprunnerlocal.Options{}, 3)
			arns := seedAccount(w, 200)
			var named []string
			for i := 1; len(named) < n; i += 2 { // the free ones
				named = append(named, arns[i])
			}
			e := w.engine(cleanup.Config{DryRun: true})
			var rep *request.Report
			b.ReportAllocs()
			for b.Loop() {
				rep = runRequests(b.Context(), b, e, []request.RawRequest{del("m", named...)})
			}
			b.ReportMetric(float64(calls(rep)), "calls/run")
			if rep.Counts[request.OutcomeWouldDelete] != n {
				b.Fatalf("counts %v", rep.Counts)
			}
		})
	}
}
