package cleanup_test

import (
	"sync"
	"testing"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
)

// progressLog records the calls of a progress hook.
type progressLog struct {
	mu    sync.Mutex
	calls [][2]int
}

func (p *progressLog) hook(described, listed int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, [2]int{described, listed})
}

// check verifies the calls of one run: at least one per service and the
// final one, numbers that never go back, described never past listed, and
// the final numbers.
func (p *progressLog) check(t *testing.T, services int) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.calls) < services+1 {
		t.Fatalf("%d progress calls, want at least %d (one per service, then the end)", len(p.calls), services+1)
	}
	prev := [2]int{}
	for i, c := range p.calls {
		if c[0] < prev[0] || c[1] < prev[1] {
			t.Errorf("call %d: %v after %v: progress went back", i, c, prev)
		}
		if c[0] > c[1] {
			t.Errorf("call %d: described %d > listed %d", i, c[0], c[1])
		}
		prev = c
	}
	if last := p.calls[len(p.calls)-1]; last != [2]int{services, services} {
		t.Errorf("final progress = %v, want [%d %d]", last, services, services)
	}
}

func TestProgressCountsEveryLiveServiceDescribedOrReused(t *testing.T) {
	const live, deleted = 45, 7 // more than two ListServices pages
	w := newWorld(t, apprunnerlocal.Options{}, 3)
	used := w.conn(apprunnerlocal.SeedConnection{Name: "used"})
	w.conn(apprunnerlocal.SeedConnection{Name: "free"})
	statuses := []string{apprunnerlocal.ServiceRunning, apprunnerlocal.ServicePaused, apprunnerlocal.ServiceDeleteFailed}
	for i := range live {
		w.service(connName("live", i), statuses[i%len(statuses)], used)
	}
	for i := range deleted {
		w.service(connName("gone", i), apprunnerlocal.ServiceDeleted, used)
	}

	var log progressLog
	e := w.engine(cleanup.Config{DryRun: true, IndexTTL: time.Hour, Progress: log.hook})
	runRequests(ctx(t), t, e, sweep())
	log.check(t, live)

	// A warm run reuses the descriptions: each reuse is counted too.
	log = progressLog{}
	rep := runRequests(ctx(t), t, e, sweep())
	log.check(t, live)
	if n := rep.APICalls["DescribeService"]; n != 0 {
		t.Errorf("warm run described %d services, want every description reused", n)
	}
}
