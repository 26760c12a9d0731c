package benchrun

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/lambdarun"
)

// accountIDs matches the account IDs in reasons, so that the same reason
// about different accounts counts as one.
var accountIDs = regexp.MustCompile(`\b\d{12}\b`)

// MaxReceives is the template's MaxReceiveCount default: how often the
// event source delivers a work item before SQS moves it to the DLQ.
const MaxReceives = 5

// ThrottledOptions configure the run of a whole plan under Organizations'
// throttle.
type ThrottledOptions struct {
	// Limit is the emulator's one token bucket for every Organizations
	// operation (apprunnerlocal.OrganizationsRateLimitKey); zero leaves the
	// run out.
	Limit apprunnerlocal.RateLimit
	// Environments is how many execution environments take batches at
	// once, as the event source's MaximumConcurrency allows.
	Environments int
}

// ThrottledRun is what running every work item of the plan, with
// Organizations throttled, measured.
type ThrottledRun struct {
	Options ThrottledOptions
	// WorkItems is the plan's; Deliveries the work items delivered in all
	// (WorkItems plus every redelivery of a batch item failure), Batches
	// the invocations.
	WorkItems, Deliveries, Batches int
	// Redelivered is the work items the function reported as batch item
	// failures at least once; Dead those still failing after MaxReceives
	// deliveries, which SQS would have moved to the DLQ.
	Redelivered, Dead int
	// Wall is from the first batch's sending to the last one's answer.
	Wall time.Duration
	// OrgCalls are the Organizations calls answered, Throttled those
	// refused with TooManyRequestsException; both by operation.
	OrgCalls, Throttled map[string]int
	// FailureReasons counts the reasons of the failed decisions of work
	// items reported as batch item failures.
	FailureReasons map[string]int
}

// OrgCallsPerItem is the Organizations calls answered per work item.
func (t *ThrottledRun) OrgCallsPerItem() float64 {
	if t.WorkItems == 0 {
		return 0
	}
	return float64(sumValues(t.OrgCalls)) / float64(t.WorkItems)
}

// Floor is the least time Organizations' bucket lets the answered calls
// take: the burst at once, the others at the refill rate.
func (t *ThrottledRun) Floor() time.Duration {
	n := sumValues(t.OrgCalls) - t.Options.Limit.Burst
	if n <= 0 || t.Options.Limit.PerSecond <= 0 {
		return 0
	}
	return time.Duration(float64(n) / t.Options.Limit.PerSecond * float64(time.Second))
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// runThrottled runs every work item of items in batches of
// EventSourceBatch, opts.Environments execution environments at once, with
// the emulator's Organizations bucket at opts.Limit, as the event source
// would: a batch goes to the environment free first, and a work item the
// function reports as a batch item failure is delivered again, in a later
// batch, up to MaxReceives times. Every work item must in the end decide
// what its seed implies.
func runThrottled(ctx context.Context, opts PlanOptions, topts ThrottledOptions, emu *apprunnerlocal.Server, items []apprunnerlocal.QueueMessage, env []string) (*ThrottledRun, error) {
	run := &ThrottledRun{Options: topts, WorkItems: len(items), OrgCalls: map[string]int{}, Throttled: map[string]int{}, FailureReasons: map[string]int{}}
	emu.SetOptions(func(o *apprunnerlocal.Options) {
		o.RateLimits = map[string]apprunnerlocal.RateLimit{apprunnerlocal.OrganizationsRateLimitKey: topts.Limit}
	})
	defer emu.SetOptions(func(o *apprunnerlocal.Options) { o.RateLimits = nil })
	emu.ResetStats()

	runtimes := make([]*lambdarun.Runtime, topts.Environments)
	defer func() {
		for _, rt := range runtimes {
			if rt != nil {
				_ = rt.Close()
			}
		}
	}()
	for i := range runtimes {
		rt, err := lambdarun.Start(ctx, lambdarun.Options{
			Binaries: lambdarun.Binaries{Bootstrap: opts.Bootstrap, RIE: opts.RIE},
			Env:      append(slices.Clip(env), "AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_FUNCTION_TIMEOUT=300"),
		})
		if err != nil {
			return nil, fmt.Errorf("execution environment %d: %w", i+1, err)
		}
		runtimes[i] = rt
	}

	q := &redeliveryQueue{receives: map[string]int{}, failed: map[string]bool{}, reasons: map[string]int{}}
	for msgs := range slices.Chunk(items, EventSourceBatch) {
		q.batches = append(q.batches, msgs)
	}
	q.cond = sync.NewCond(&q.mu)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	start := time.Now()
	for _, rt := range runtimes {
		wg.Go(func() {
			for {
				msgs, ok := q.take()
				if !ok {
					return
				}
				failed, reasons, err := invokeBatch(ctx, rt, msgs, q.receiveCounts(msgs), opts.Population)
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					q.stop()
					return
				}
				q.done(msgs, failed, reasons)
			}
		})
	}
	wg.Wait()
	run.Wall = time.Since(start)
	if firstErr != nil {
		return nil, firstErr
	}
	stats := emu.Stats()
	for op, outcomes := range stats.Outcomes {
		if !strings.HasPrefix(op, "organizations:") {
			continue
		}
		run.OrgCalls[op] += outcomes["ok"]
		run.Throttled[op] += outcomes["TooManyRequestsException"]
	}
	run.Batches, run.Deliveries, run.Redelivered, run.Dead = q.invocations, q.deliveries, len(q.failed), q.dead
	run.FailureReasons = q.reasons
	return run, nil
}

// redeliveryQueue hands out batches to the execution environments and
// takes back the work items they failed, as the queue and the event source
// would: a failed work item waits for its visibility timeout and is
// delivered again in a later batch.
type redeliveryQueue struct {
	mu       sync.Mutex
	cond     *sync.Cond
	batches  [][]apprunnerlocal.QueueMessage
	again    []apprunnerlocal.QueueMessage // failed work items, to batch again
	running  int
	stopped  bool
	receives map[string]int
	failed   map[string]bool
	reasons  map[string]int

	invocations, deliveries, dead int
}

// take returns the next batch, waiting while batches run that may fail
// work items; false once nothing is left.
func (q *redeliveryQueue) take() ([]apprunnerlocal.QueueMessage, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		if q.stopped {
			return nil, false
		}
		if len(q.batches) == 0 && len(q.again) > 0 && (q.running == 0 || len(q.again) >= EventSourceBatch) {
			n := min(len(q.again), EventSourceBatch)
			q.batches = append(q.batches, q.again[:n:n])
			q.again = q.again[n:]
		}
		if len(q.batches) > 0 {
			msgs := q.batches[0]
			q.batches = q.batches[1:]
			q.running++
			q.invocations++
			q.deliveries += len(msgs)
			for _, m := range msgs {
				q.receives[m.ID]++
			}
			return msgs, true
		}
		if q.running == 0 {
			return nil, false
		}
		q.cond.Wait()
	}
}

// receiveCounts returns how often each of msgs has been delivered, this
// delivery included.
func (q *redeliveryQueue) receiveCounts(msgs []apprunnerlocal.QueueMessage) []int {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]int, len(msgs))
	for i, m := range msgs {
		out[i] = q.receives[m.ID]
	}
	return out
}

// done takes back a batch: the work items of failed are delivered again,
// unless they have been delivered MaxReceives times.
func (q *redeliveryQueue) done(msgs []apprunnerlocal.QueueMessage, failed map[string]bool, reasons []string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.running--
	for _, r := range reasons {
		q.reasons[accountIDs.ReplaceAllString(r, "ACCOUNT")]++
	}
	for _, m := range msgs {
		if !failed[m.ID] {
			continue
		}
		q.failed[m.ID] = true
		if q.receives[m.ID] >= MaxReceives {
			q.dead++
			continue
		}
		q.again = append(q.again, m)
	}
	q.cond.Broadcast()
}

func (q *redeliveryQueue) stop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stopped = true
	q.cond.Broadcast()
}

// invokeBatch runs one batch and returns the IDs of the work items the
// function reported as batch item failures, and the reasons of its failed
// decisions. Every other work item must have decided what its seed
// implies.
func invokeBatch(ctx context.Context, rt *lambdarun.Runtime, msgs []apprunnerlocal.QueueMessage, receives []int, p Population) (map[string]bool, []string, error) {
	ev := apprunnerlocal.LambdaSQSEvent(msgs, time.Now())
	for i := range ev.Records {
		ev.Records[i].Attributes["ApproximateReceiveCount"] = strconv.Itoa(receives[i])
	}
	event, err := json.Marshal(ev)
	if err != nil {
		return nil, nil, err
	}
	out, err := rt.Invoke(ctx, event)
	if err != nil {
		return nil, nil, fmt.Errorf("a batch of %d work items: %w", len(msgs), err)
	}
	var resp struct {
		Failures []struct {
			ID string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, nil, fmt.Errorf("the function answered a batch with %s: %w", out, err)
	}
	failed := map[string]bool{}
	for _, f := range resp.Failures {
		failed[f.ID] = true
	}
	lines, err := nextInvocationLines(ctx, rt)
	if err != nil {
		return nil, nil, err
	}
	decided := 0
	var reasons []string
	want := map[string]int{"in_use": p.InUse, "would_delete": p.Free}
	for _, l := range lines {
		var line struct {
			Message string         `json:"message"`
			Counts  map[string]int `json:"counts"`
			Outcome string         `json:"outcome"`
			Reason  string         `json:"reason"`
		}
		if json.Unmarshal([]byte(l), &line) != nil {
			continue
		}
		switch {
		case line.Message == "work item summary" && countsEqual(line.Counts, want):
			decided++
		case line.Message == "decision" && line.Outcome == "failed":
			reasons = append(reasons, line.Reason)
		}
	}
	if decided < len(msgs)-len(failed) {
		return nil, nil, fmt.Errorf("%d of a batch's %d work items decided in_use %d, would_delete %d; %d failed: want the others to", decided, len(msgs), p.InUse, p.Free, len(failed))
	}
	return failed, reasons, nil
}

// countsEqual compares outcome counts, a missing outcome counting as 0.
func countsEqual(got, want map[string]int) bool {
	for o, n := range got {
		if n != want[o] {
			return false
		}
	}
	for o, n := range want {
		if got[o] != n {
			return false
		}
	}
	return true
}

// nextInvocationLines waits for an invocation's last lines: its metrics
// record and the runtime interface emulator's REPORT.
func nextInvocationLines(ctx context.Context, rt *lambdarun.Runtime) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var metrics, report bool
	return rt.NextLines(ctx, func(l string) bool {
		metrics = metrics || strings.HasPrefix(l, "{") && strings.Contains(l, `"_aws"`)
		report = report || reportDuration.MatchString(l)
		return metrics && report
	})
}
