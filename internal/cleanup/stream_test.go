package cleanup_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// observer sits between the client and the emulator: it counts calls in
// flight, and can hold an operation's answers until another operation has
// been seen, to show what overlaps without depending on timing.
type observer struct {
	next http.Handler

	mu       sync.Mutex
	inFlight int
	most     int
	seen     map[string]int
	cond     *sync.Cond
	// holdUntil holds the answer to an operation ("ListServices#2": its
	// second call) until the named operation has been seen.
	holdUntil map[string]string
}

func newObserver(next http.Handler, holdUntil map[string]string) *observer {
	o := &observer{next: next, seen: map[string]int{}, holdUntil: holdUntil}
	o.cond = sync.NewCond(&o.mu)
	return o
}

func (o *observer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AppRunner.")
	o.mu.Lock()
	o.seen[op]++
	nth := op + "#" + strconv.Itoa(o.seen[op])
	o.inFlight++
	o.most = max(o.most, o.inFlight)
	o.cond.Broadcast()
	if want, ok := o.holdUntil[nth]; ok {
		// Bounded, so that an engine that does not overlap fails the test
		// instead of hanging it.
		deadline := time.AfterFunc(10*time.Second, func() { o.mu.Lock(); o.cond.Broadcast(); o.mu.Unlock() })
		start := time.Now()
		for o.seen[want] == 0 && time.Since(start) < 10*time.Second {
			o.cond.Wait()
		}
		deadline.Stop()
	}
	o.mu.Unlock()

	o.next.ServeHTTP(w, r)

	o.mu.Lock()
	o.inFlight--
	o.mu.Unlock()
}

func observedWorld(t *testing.T, opts apprunnerlocal.Options, holdUntil map[string]string) (*world, *observer) {
	t.Helper()
	w := newWorld(t, opts, 3)
	o := newObserver(w.srv, holdUntil)
	hs := httptest.NewServer(o)
	t.Cleanup(hs.Close)
	w.client = apprunnerlocal.NewClient(hs.URL, region, "AKIDTEST")
	return w, o
}

// TestIndexStreamsAlongsideTheConnectionListing: the second page of
// services is answered only once a service of the first has been described,
// and connections are listed only once services are being listed: a run
// that waited for the whole listing, or listed one chain after the other,
// would fail here.
func TestIndexStreamsAlongsideTheConnectionListing(t *testing.T) {
	w, o := observedWorld(t, apprunnerlocal.Options{}, map[string]string{
		"ListServices#2":    "DescribeService",
		"ListConnections#1": "ListServices",
	})
	var used []string
	for i := range 45 {
		c := w.conn(apprunnerlocal.SeedConnection{Name: connName("conn", i)})
		if i%3 == 0 {
			w.service(connName("svc", i), apprunnerlocal.ServiceRunning, c)
			used = append(used, c)
		}
	}
	for i := range 30 { // image-based services: more pages, no connection
		w.service(connName("image", i), apprunnerlocal.ServiceRunning, "")
	}
	start := time.Now()

	rep := runRequests(ctx(t), t, w.engine(cleanup.Config{DryRun: true}), sweep())

	if time.Since(start) >= 10*time.Second {
		t.Fatalf("the run waited for a held answer: describes did not start before the service listing ended, or connections were not listed alongside services")
	}
	got := byARN(t, rep)
	for _, c := range used {
		if got[c].Outcome != request.OutcomeInUse {
			t.Errorf("%s: %s, want in_use", c, got[c].Outcome)
		}
	}
	if rep.Counts[request.OutcomeWouldDelete] != 45-len(used) {
		t.Errorf("counts %v, want %d would_delete", rep.Counts, 45-len(used))
	}
	if o.seen["ListServices"] < 3 {
		t.Errorf("%d ListServices pages: the test does not test what it says", o.seen["ListServices"])
	}
}

// TestCallsInFlightNeverExceedTheConcurrency: the page chains, describes,
// tag look-ups and deletions all share MaxConcurrency slots.
func TestCallsInFlightNeverExceedTheConcurrency(t *testing.T) {
	w, o := observedWorld(t, apprunnerlocal.Options{Latency: 2 * time.Millisecond}, nil)
	for i := range 60 {
		c := w.conn(apprunnerlocal.SeedConnection{Name: connName("conn", i)})
		if i%2 == 0 {
			w.service(connName("svc", i), apprunnerlocal.ServiceRunning, c)
		}
	}

	rep := runRequests(ctx(t), t, w.engine(cleanup.Config{MaxConcurrency: 3}), sweep())

	if rep.Counts[request.OutcomeDeleted] != 30 {
		t.Fatalf("counts %v, want 30 deleted", rep.Counts)
	}
	if o.most > 3 {
		t.Errorf("%d calls in flight at once, want at most 3", o.most)
	}
}

// TestAPICallsAreWhatAppRunnerSaw: the report counts every request the SDK
// sent, retries included, so it equals the emulator's own count.
func TestAPICallsAreWhatAppRunnerSaw(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{FaultRate: 0.2, FaultSeed: 7}, 5)
	for i := range 40 {
		c := w.conn(apprunnerlocal.SeedConnection{Name: connName("conn", i)})
		if i%2 == 0 {
			w.service(connName("svc", i), apprunnerlocal.ServiceRunning, c)
		}
	}

	rep := runRequests(ctx(t), t, w.engine(cleanup.Config{DryRun: true}), sweep())

	sent := 0
	for _, n := range rep.APICalls {
		sent += n
	}
	stats := w.srv.Stats()
	if sent != stats.Total() {
		t.Errorf("report counts %d requests %v, App Runner saw %d %v", sent, rep.APICalls, stats.Total(), stats.Calls)
	}
	if rep.APIRetries == 0 || rep.APIRetries >= sent {
		t.Errorf("%d retries of %d requests with a fifth of them failing", rep.APIRetries, sent)
	}
}
