package cleanup_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// TestSweepDeletesNothingOutsideTheConfiguredAccount: credentials that reach
// another account than the configured one list that account's connections;
// a sweep must not take them for its own.
func TestSweepDeletesNothingOutsideTheConfiguredAccount(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{}, 3)
	free := w.conn(apprunnerlocal.SeedConnection{Name: "free-github"})
	e := w.engine(cleanup.Config{Account: "999999999999", Region: region})

	rep := runRequests(ctx(t), t, e, []request.RawRequest{{ID: "sweep", Action: request.ActionSweep}, del("m1", free)})

	if !w.exists(free) {
		t.Fatalf("%s of account %s was deleted by an engine of account 999999999999", free, account)
	}
	if n := w.srv.Stats().Calls["DeleteConnection"]; n != 0 {
		t.Errorf("%d DeleteConnection calls", n)
	}
	var invalid int
	for _, r := range rep.Results {
		if r.ARN != free {
			continue
		}
		if r.Outcome != request.OutcomeInvalid || !strings.Contains(r.Reason, "this function cleans up account 999999999999") {
			t.Errorf("%s: %s (%s), want invalid naming the configured account", r.ARN, r.Outcome, r.Reason)
		}
		invalid++
	}
	// Named by m1, and listed by the sweep: both say why it was refused.
	if invalid != 2 {
		t.Errorf("%d results for the foreign connection, want 2: %+v", invalid, rep.Results)
	}
}

func TestARNsOfAnotherPartitionAreInvalid(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{}, 3)
	free := w.conn(apprunnerlocal.SeedConnection{Name: "free-github"})
	rest := strings.TrimPrefix(free, "arn:aws:")
	china, govCloud := "arn:aws-cn:"+rest, "arn:aws-us-gov:"+rest

	rep := runRequests(ctx(t), t, w.engine(cleanup.Config{}), []request.RawRequest{del("m1", china, govCloud)})

	got := byARN(t, rep)
	for _, arn := range []string{china, govCloud} {
		if r := got[arn]; r.Outcome != request.OutcomeInvalid || !strings.Contains(r.Reason, "of partition aws-") {
			t.Errorf("%s: %s (%s), want invalid naming its partition", arn, r.Outcome, r.Reason)
		}
	}
	if !w.exists(free) || w.srv.Stats().Total() != 0 {
		t.Errorf("exists %v, %d calls: an ARN of another partition reached App Runner", w.exists(free), w.srv.Stats().Total())
	}
}

func TestConfigRefusesAPartitionThatIsNotTheRegions(t *testing.T) {
	_, err := cleanup.New(apprunner.New(apprunner.Options{}), cleanup.Config{Account: account, Region: "us-east-1", Partition: "aws-cn"}, nil)
	if err == nil || !strings.Contains(err.Error(), "region us-east-1 is in partition aws") {
		t.Errorf("New error = %v, want one naming the region's partition", err)
	}
}

// gatedWorld is a world whose DeleteConnection calls pass through gate,
// which is handed the emulator's answer after the deletion is done and
// decides when, or whether, the client receives it.
func gatedWorld(t *testing.T, gate func(w http.ResponseWriter, r *http.Request, answer *httptest.ResponseRecorder)) *world {
	t.Helper()
	w := newWorld(t, apprunnerlocal.Options{}, 1)
	hs := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "AppRunner.DeleteConnection" {
			w.srv.ServeHTTP(rw, r)
			return
		}
		answer := httptest.NewRecorder()
		w.srv.ServeHTTP(answer, r)
		gate(rw, r, answer)
	}))
	t.Cleanup(hs.Close)
	w.client = apprunnerlocal.NewClient(hs.URL, region, "AKIDTEST", func(o *apprunner.Options) { o.Retryer = aws.NopRetryer{} })
	return w
}

func forward(rw http.ResponseWriter, answer *httptest.ResponseRecorder) {
	for k, v := range answer.Header() {
		rw.Header()[k] = v
	}
	rw.WriteHeader(answer.Code)
	_, _ = rw.Write(answer.Body.Bytes())
}

// TestDeletionCutOffWhileUnderWayIsNotReportedAsNotStarted: App Runner
// deleted the connection, but its answer never arrived. The run must not
// claim the call was not started; it says the result is unknown.
func TestDeletionCutOffWhileUnderWayIsNotReportedAsNotStarted(t *testing.T) {
	tests := []struct {
		name       string
		reasonPart string
		stop       func(t *testing.T) (context.Context, func())
	}{
		{"cancelled", "cancelled: DeleteConnection was under way when the run was stopped; its result is unknown",
			func(t *testing.T) (context.Context, func()) {
				c, cancel := context.WithCancel(ctx(t))
				return c, cancel
			}},
		{"deadline", "deadline: DeleteConnection was under way when the function's time ran out; its result is unknown",
			func(t *testing.T) (context.Context, func()) {
				// The answer is held until the client gives up: at the
				// deadline less the share of the margin kept for reporting.
				c, cancel := context.WithTimeout(ctx(t), 3*time.Second+time.Second)
				t.Cleanup(cancel)
				return c, func() {}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, stop := tt.stop(t)
			w := gatedWorld(t, func(_ http.ResponseWriter, r *http.Request, _ *httptest.ResponseRecorder) {
				stop()
				<-r.Context().Done()
			})
			free := w.conn(apprunnerlocal.SeedConnection{Name: "free-github"})

			rep := runRequests(c, t, w.engine(cleanup.Config{}), []request.RawRequest{del("m1", free)})

			r := byARN(t, rep)[free]
			if r.Outcome != request.OutcomeFailed || !strings.Contains(r.Reason, tt.reasonPart) {
				t.Errorf("outcome %s (%s), want failed saying %q", r.Outcome, r.Reason, tt.reasonPart)
			}
			if strings.Contains(r.Reason, "not started") {
				t.Errorf("reason %q says not started of a call that was made", r.Reason)
			}
			if w.exists(free) {
				t.Error("the emulator did not delete the connection: the test does not test what it says")
			}
		})
	}
}

// TestDeletionAnsweredInsideTheDeadlineMarginIsReportedDeleted: no call
// starts inside the margin, but one under way may finish there, so a
// deletion App Runner made is reported as made.
func TestDeletionAnsweredInsideTheDeadlineMarginIsReportedDeleted(t *testing.T) {
	const margin = 3 * time.Second
	c, cancel := context.WithTimeout(ctx(t), margin+time.Second)
	defer cancel()
	dl, _ := c.Deadline()
	stopAt := dl.Add(-margin)
	w := gatedWorld(t, func(rw http.ResponseWriter, r *http.Request, answer *httptest.ResponseRecorder) {
		// Answer once no call may start any more.
		select {
		case <-time.After(time.Until(stopAt) + 100*time.Millisecond):
		case <-r.Context().Done():
		}
		forward(rw, answer)
	})
	free := w.conn(apprunnerlocal.SeedConnection{Name: "free-github"})
	other := w.conn(apprunnerlocal.SeedConnection{Name: "other-github"})

	// Concurrency 1: the second deletion comes after the first, inside the
	// margin, and must not start.
	rep := runRequests(c, t, w.engine(cleanup.Config{MaxConcurrency: 1, DeadlineMargin: margin}), []request.RawRequest{del("m1", free, other)})

	got := byARN(t, rep)
	var deleted, notStarted string
	for _, arn := range []string{free, other} {
		switch got[arn].Outcome {
		case request.OutcomeDeleted:
			deleted = arn
		case request.OutcomeFailed:
			notStarted = arn
		}
	}
	if deleted == "" || notStarted == "" {
		t.Fatalf("results %+v, want one deleted and one not started", rep.Results)
	}
	if w.exists(deleted) || !w.exists(notStarted) {
		t.Errorf("deleted one exists %v, not started one exists %v", w.exists(deleted), w.exists(notStarted))
	}
	if r := got[notStarted].Reason; !strings.Contains(r, "not started") {
		t.Errorf("reason %q, want not started", r)
	}
}

// panickingAPI is the real client, but panics on the calls about one
// connection: a bug met by one connection in one worker.
type panickingAPI struct {
	cleanup.API
	op, arn string
}

func (p panickingAPI) DeleteConnection(ctx context.Context, in *apprunner.DeleteConnectionInput, optFns ...func(*apprunner.Options)) (*apprunner.DeleteConnectionOutput, error) {
	if p.op == "DeleteConnection" && aws.ToString(in.ConnectionArn) == p.arn {
		panic("boom in DeleteConnection")
	}
	return p.API.DeleteConnection(ctx, in, optFns...)
}

func (p panickingAPI) ListTagsForResource(ctx context.Context, in *apprunner.ListTagsForResourceInput, optFns ...func(*apprunner.Options)) (*apprunner.ListTagsForResourceOutput, error) {
	if p.op == "ListTagsForResource" && aws.ToString(in.ResourceArn) == p.arn {
		panic("boom in ListTagsForResource")
	}
	return p.API.ListTagsForResource(ctx, in, optFns...)
}

func (p panickingAPI) DescribeService(ctx context.Context, in *apprunner.DescribeServiceInput, optFns ...func(*apprunner.Options)) (*apprunner.DescribeServiceOutput, error) {
	if p.op == "DescribeService" {
		panic("boom in DescribeService")
	}
	return p.API.DescribeService(ctx, in, optFns...)
}

// TestPanicInAWorkerBecomesAFailedResult: the panic is that connection's
// failure, with its reason; the others are decided as usual and the
// process lives on.
func TestPanicInAWorkerBecomesAFailedResult(t *testing.T) {
	for _, op := range []string{"DeleteConnection", "ListTagsForResource", "DescribeService"} {
		t.Run(op, func(t *testing.T) {
			w := newWorld(t, apprunnerlocal.Options{}, 3)
			bad := w.conn(apprunnerlocal.SeedConnection{Name: "bad-github"})
			good := w.conn(apprunnerlocal.SeedConnection{Name: "good-github"})
			w.service("user-svc", apprunnerlocal.ServiceRunning, w.conn(apprunnerlocal.SeedConnection{Name: "used-github"}))
			e, err := cleanup.New(panickingAPI{API: w.client, op: op, arn: bad},
				cleanup.Config{Account: account, Region: region, ProtectTagKey: "apprunner-cleanup:protect"}, nil)
			if err != nil {
				t.Fatal(err)
			}

			rep := runRequests(ctx(t), t, e, []request.RawRequest{del("m1", bad, good)})

			got := byARN(t, rep)
			if r := got[bad]; r.Outcome != request.OutcomeFailed || !strings.Contains(r.Reason, "internal error: boom in "+op) {
				t.Errorf("%s: %s (%s), want failed with the panic", bad, r.Outcome, r.Reason)
			}
			want := request.OutcomeDeleted
			if op == "DescribeService" {
				want = request.OutcomeFailed // no complete index: nothing may be deleted
			}
			if r := got[good]; r.Outcome != want {
				t.Errorf("%s: %s (%s), want %s", good, r.Outcome, r.Reason, want)
			}
			if !w.exists(bad) && op != "DeleteConnection" {
				t.Errorf("%s deleted although its decision panicked", bad)
			}
		})
	}
}

// pagePanickingAPI is the real client, but panics on the second page of
// ListServices: a bug met while the index's workers wait for services.
type pagePanickingAPI struct{ cleanup.API }

func (p pagePanickingAPI) ListServices(ctx context.Context, in *apprunner.ListServicesInput, optFns ...func(*apprunner.Options)) (*apprunner.ListServicesOutput, error) {
	if in.NextToken != nil {
		panic("boom in ListServices")
	}
	return p.API.ListServices(ctx, in, optFns...)
}

// TestPanicWhileListingServicesLeavesNoWorkerBehind: the sweep fails with
// the panic, deletes nothing, and once Run has returned no goroutine of
// the index is left, run after run.
func TestPanicWhileListingServicesLeavesNoWorkerBehind(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{}, 3)
	free := w.conn(apprunnerlocal.SeedConnection{Name: "free-github"})
	for i := range 25 { // two pages of 20
		w.service(fmt.Sprintf("svc-%02d", i), apprunnerlocal.ServiceRunning, "")
	}
	e, err := cleanup.New(pagePanickingAPI{API: w.client}, cleanup.Config{Account: account, Region: region, MaxConcurrency: 8}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for run := range 3 {
		rep := runRequests(ctx(t), t, e, sweep())
		if r := byARN(t, rep)[free]; r.Outcome != request.OutcomeFailed || !strings.Contains(r.Reason, "boom in ListServices") {
			t.Errorf("run %d: %s (%s), want failed with the panic", run+1, r.Outcome, r.Reason)
		}
		if !w.exists(free) {
			t.Fatalf("run %d deleted %s with no complete index", run+1, free)
		}
		if n := lingering("cleanup.buildIndex"); n > 0 {
			t.Fatalf("run %d: %d goroutines of the index left after Run returned", run+1, n)
		}
	}
}

// lingering counts the goroutines with fn on their stack that do not end.
// One that has done its work may still be returning when Run does, so the
// count is taken again, as goleak does, until it is zero or 5 seconds have
// passed: a goroutine that leaked never ends.
func lingering(fn string) int {
	n := goroutinesIn(fn)
	for deadline := time.Now().Add(5 * time.Second); n > 0 && time.Now().Before(deadline); n = goroutinesIn(fn) {
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	return n
}

// goroutinesIn counts the goroutines with fn on their stack.
func goroutinesIn(fn string) int {
	count := 0
	for g := range strings.SplitSeq(allStacks(), "\n\n") {
		if strings.Contains(g, fn) {
			count++
		}
	}
	return count
}

// allStacks is the stack of every goroutine, each paragraph one.
func allStacks() string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// TestEveryReportListsItsResults: a report with nothing in it still has a
// list, so that programs reading it need no null case.
func TestEveryReportListsItsResults(t *testing.T) {
	_, d, _ := offboardWorld(t)
	w := newWorld(t, apprunnerlocal.Options{}, 3)
	reports := map[string]*request.Report{
		"offboarding an empty account": runRequests(ctx(t), t, d, []request.RawRequest{{ID: "m1", Action: request.ActionOffboard, RoleARN: ptr(roleARN), Regions: []string{"ap-south-1"}, DryRun: true}}),
		"sweeping an empty account":    runRequests(ctx(t), t, w.engine(cleanup.Config{}), sweep()),
	}
	for name, rep := range reports {
		out, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), `"results":[]`) {
			t.Errorf("%s: %s, want an empty results list", name, out)
		}
	}
}

// goroutinesAtWork counts the goroutines running engine code. A goroutine
// of a group that has given its slot back, on its way out, does not count:
// only the group's own frames are left on its stack.
func goroutinesAtWork() int {
	const pkg = "connection-cleanup/internal/cleanup."
	count := 0
	for _, g := range strings.Split(allStacks(), "\n\n") {
		for line := range strings.SplitSeq(g, "\n") {
			if i := strings.Index(line, pkg); i >= 0 && !strings.HasPrefix(line, "created by") &&
				!strings.HasPrefix(line[i+len(pkg):], "(*group).Go") && !strings.HasPrefix(line[i+len(pkg):], "slots.give") {
				count++
				break
			}
		}
	}
	return count
}

// goroutineSampler is the API with, at every call, a count of the
// goroutines the engine has running: the run's own and every one it
// started, at work or waiting.
type goroutineSampler struct {
	cleanup.API
	mu   sync.Mutex
	most int
}

func (g *goroutineSampler) sample() {
	n := goroutinesAtWork()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.most = max(g.most, n)
}

func (g *goroutineSampler) ListConnections(ctx context.Context, in *apprunner.ListConnectionsInput, optFns ...func(*apprunner.Options)) (*apprunner.ListConnectionsOutput, error) {
	g.sample()
	return g.API.ListConnections(ctx, in, optFns...)
}

func (g *goroutineSampler) ListServices(ctx context.Context, in *apprunner.ListServicesInput, optFns ...func(*apprunner.Options)) (*apprunner.ListServicesOutput, error) {
	g.sample()
	return g.API.ListServices(ctx, in, optFns...)
}

func (g *goroutineSampler) DescribeService(ctx context.Context, in *apprunner.DescribeServiceInput, optFns ...func(*apprunner.Options)) (*apprunner.DescribeServiceOutput, error) {
	g.sample()
	return g.API.DescribeService(ctx, in, optFns...)
}

func (g *goroutineSampler) DeleteConnection(ctx context.Context, in *apprunner.DeleteConnectionInput, optFns ...func(*apprunner.Options)) (*apprunner.DeleteConnectionOutput, error) {
	g.sample()
	return g.API.DeleteConnection(ctx, in, optFns...)
}

func (g *goroutineSampler) ListTagsForResource(ctx context.Context, in *apprunner.ListTagsForResourceInput, optFns ...func(*apprunner.Options)) (*apprunner.ListTagsForResourceOutput, error) {
	g.sample()
	return g.API.ListTagsForResource(ctx, in, optFns...)
}

// TestARunHasNoMoreGoroutinesThanItsSlots: the index's descriptions, the
// look-ups of named connections and the deletions all take the run's
// slots before a goroutine starts, so a run never has more goroutines than
// MaxConcurrency beside its own three (the connection chain, the service
// listing and the feeder of its descriptions), however much work waits.
func TestARunHasNoMoreGoroutinesThanItsSlots(t *testing.T) {
	const slots = 3
	w := newWorld(t, apprunnerlocal.Options{}, 3)
	var arns []string
	for i := range 6 { // few enough to be looked up one by one
		arns = append(arns, w.conn(apprunnerlocal.SeedConnection{Name: connName("free", i)}))
	}
	for i := range 45 { // three pages
		w.service(fmt.Sprintf("svc-%02d", i), apprunnerlocal.ServiceRunning, "")
	}
	api := &goroutineSampler{API: w.client}
	e, err := cleanup.New(api, cleanup.Config{Account: account, Region: region, MinAge: time.Hour, MaxConcurrency: slots}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := runRequests(ctx(t), t, e, []request.RawRequest{del("teardown", arns...)})
	if rep.Counts[request.OutcomeDeleted] != len(arns) {
		t.Fatalf("deleted %d of %d: %+v", rep.Counts[request.OutcomeDeleted], len(arns), rep.Results)
	}
	if want := slots + 3; api.most > want {
		t.Errorf("the run had up to %d goroutines, want at most %d: %d slots and its own three", api.most, want, slots)
	}
}
