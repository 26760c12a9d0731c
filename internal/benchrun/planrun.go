package benchrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/lambdarun"
)

// The plan benchmark's queue: the function's own, in its account.
const cleanupQueue = "connection-cleanup"

// PlanOptions configure the organization plan benchmark.
type PlanOptions struct {
	// Bootstrap is the function's binary, RIE the runtime interface
	// emulator.
	Bootstrap, RIE string
	Shape          OrgShape
	// Regions are the plan's regions; Population is what every member
	// account holds in each of them.
	Regions    []string
	Population Population
	// Latency is what every call takes: the emulator adds it to App
	// Runner's and Organizations' calls, the harness in front of it to
	// STS's and SQS's, which the emulator answers at once.
	Latency time.Duration
	// Concurrency is the function's MAX_CONCURRENCY.
	Concurrency int
	// Sample is how many of the planned work items are run, in SQS
	// batches of EventSourceBatch, in one execution environment.
	Sample int
	// MaxConcurrency lists the event source's MaximumConcurrency values
	// to project the plan's wall time at.
	MaxConcurrency []int
	// Throttle, unless its Limit is zero, then runs every work item of
	// the plan with Organizations throttled (runThrottled).
	Throttle ThrottledOptions
}

// PlanResult is what the plan benchmark measured.
type PlanResult struct {
	Options PlanOptions
	Bound   PlanBound
	// Seeding is how long building and loading the seed took.
	Seeding time.Duration

	// Planning is, as the harness in front of the emulator saw it, from
	// the arrival of the first Organizations call to the answer of the
	// last SendMessageBatch; PlanProcess the bootstrap process from start
	// to exit (the process start, the AWS configuration and STS
	// GetCallerIdentity too).
	Planning, PlanProcess time.Duration
	// PlanCalls counts the Organizations and SQS calls of the planning,
	// OtherPlanCalls the others (STS).
	PlanCalls, OtherPlanCalls map[string]int
	// WorkItems is the plan summary's count, Queued the messages the
	// queue held after it, Accounts the accounts the plan reached.
	WorkItems, Queued, Accounts int
	PlanPeakRSS                 int64

	// Batches are the sample's SQS batches, in the order run in one
	// execution environment; the first is cold.
	Batches []BatchResult
	// First is the first batch's Invoke, Batch the median of the others'.
	First, Batch time.Duration
	// Schedule is the dispatcher's schedule of a full batch, warm.
	Schedule    BatchSchedule
	Projections []Projection
	// Throttled is the run of every work item under Organizations'
	// throttle; nil when left out.
	Throttled *ThrottledRun
}

// BatchResult is one SQS batch of work items run by the function.
type BatchResult struct {
	Items int
	// Invoke is the invocation from the event's sending to the response,
	// as the event source would see it; for the first invocation of an
	// execution environment it includes starting the function (INIT).
	// Duration is the runtime interface emulator's REPORT … Duration.
	Invoke, Duration time.Duration
	// Calls counts the calls the batch made, as the emulator and the
	// harness saw them.
	Calls map[string]int
}

// OrgCalls adds up the batch's Organizations calls.
func (b BatchResult) OrgCalls() int { return callsWithPrefix(b.Calls, "organizations:") }

// AppRunnerCalls adds up the batch's App Runner calls.
func (b BatchResult) AppRunnerCalls() int {
	n := 0
	for op, c := range b.Calls {
		if !strings.Contains(op, ":") {
			n += c
		}
	}
	return n
}

func callsWithPrefix(calls map[string]int, prefix string) int {
	n := 0
	for op, c := range calls {
		if strings.HasPrefix(op, prefix) {
			n += c
		}
	}
	return n
}

// PlanEvent is the request the plan benchmark plans: a dry-run offboarding
// of every account below the top OU in regions.
func PlanEvent(regions []string) string {
	b, err := json.Marshal(map[string]any{
		"action": "offboard", "organizationalUnitIds": []string{TopOUID}, "regions": regions, "dryRun": true,
	})
	if err != nil { // strings and a boolean always marshal
		panic(err)
	}
	return string(b)
}

// RunPlan seeds an emulator with the organization, has the function plan
// PlanEvent against it as a command, checks that the queue holds one work
// item per account and region, and runs the first Sample of them in SQS
// batches under the runtime interface emulator, one execution environment
// for them all, as Lambda's SQS event source would deliver them.
func RunPlan(ctx context.Context, opts PlanOptions) (*PlanResult, error) {
	if opts.Sample < 2*EventSourceBatch {
		return nil, fmt.Errorf("a sample of %d work items: want at least %d, two batches of %d (the first is cold)", opts.Sample, 2*EventSourceBatch, EventSourceBatch)
	}
	if len(opts.Regions) == 0 || len(opts.MaxConcurrency) == 0 || opts.Concurrency < 1 {
		return nil, errors.New("a plan needs regions, a MAX_CONCURRENCY, and concurrencies to project at")
	}
	res := &PlanResult{Options: opts}
	var err error
	if res.Bound, err = PlanLowerBound(opts.Shape.Tree(), len(opts.Regions), opts.Latency); err != nil {
		return nil, err
	}
	if opts.Sample > res.Bound.WorkItems {
		return nil, fmt.Errorf("a sample of %d work items of a plan of %d", opts.Sample, res.Bound.WorkItems)
	}

	start := time.Now()
	seed, err := OrgSeed(opts.Shape, opts.Regions, opts.Population)
	if err != nil {
		return nil, err
	}
	emu := apprunnerlocal.New(apprunnerlocal.Options{
		Latency:            opts.Latency,
		AssumableRoleNames: []string{MemberRole},
		Queues:             []string{cleanupQueue},
	})
	if err := emu.Load(seed); err != nil {
		return nil, err
	}
	res.Seeding = time.Since(start)
	front := &planFront{next: emu, latency: opts.Latency}
	url, stop, err := serve(front)
	if err != nil {
		return nil, err
	}
	defer stop()
	queueURL := url + "/" + Account + "/" + cleanupQueue
	env := append(FunctionEnv(url),
		"MAX_CONCURRENCY="+strconv.Itoa(opts.Concurrency),
		"AWS_ENDPOINT_URL_ORGANIZATIONS="+url, "AWS_ENDPOINT_URL_SQS="+url,
		// The plan is an offboarding: it reaches only the offboarding OU.
		"CLEANUP_QUEUE_URL="+queueURL, "ORGANIZATION_OU_IDS=", "MEMBER_ROLE_NAME="+MemberRole,
		"OFFBOARD_OU_ID="+TopOUID, "OFFBOARD_ROLE_ARNS=", "DEFAULT_REGIONS=")

	if err := res.plan(ctx, opts, emu, front, env); err != nil {
		return nil, err
	}
	items := emu.TakeMessages(queueURL, 0)
	res.Queued = len(items)
	if err := checkQueued(items, opts.Shape.Accounts, opts.Regions); err != nil {
		return nil, err
	}
	if err := res.runBatches(ctx, opts, emu, items[:opts.Sample], env); err != nil {
		return nil, err
	}
	if opts.Throttle.Limit.PerSecond > 0 {
		if res.Throttled, err = runThrottled(ctx, opts, opts.Throttle, emu, items, env); err != nil {
			return nil, fmt.Errorf("every work item under Organizations' throttle: %w", err)
		}
	}

	sweep, err := LowerBound(Sweep{Connections: opts.Population.Connections, Services: opts.Population.Services,
		Free: opts.Population.Free, Concurrency: opts.Concurrency, Latency: opts.Latency})
	if err != nil {
		return nil, err
	}
	res.Schedule = NewBatchSchedule(EventSourceBatch, len(opts.Regions), sweep)
	for _, m := range opts.MaxConcurrency {
		p, err := Project(res.WorkItems, EventSourceBatch, m, res.First, res.Batch, LambdaSQSRamp)
		if err != nil {
			return nil, err
		}
		res.Projections = append(res.Projections, p)
	}
	return res, nil
}

// plan runs the function once as a command on PlanEvent and checks its
// plan summary.
func (res *PlanResult) plan(ctx context.Context, opts PlanOptions, emu *apprunnerlocal.Server, front *planFront, env []string) error {
	cmd := exec.CommandContext(ctx, opts.Bootstrap)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(PlanEvent(opts.Regions))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res.PlanProcess = time.Since(start)
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", opts.Bootstrap, err, lastLines(stderr.String(), 20))
	}
	res.PlanPeakRSS = peakRSS(cmd.ProcessState)
	res.Planning = front.span()

	var rep struct {
		Plans []struct {
			Accounts  []string          `json:"accounts"`
			Regions   []string          `json:"regions"`
			WorkItems int               `json:"workItems"`
			Refused   []json.RawMessage `json:"refused"`
			Error     string            `json:"error"`
		} `json:"plans"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return fmt.Errorf("decode the function's response to the plan: %w", err)
	}
	if len(rep.Plans) != 1 {
		return fmt.Errorf("the function answered the plan with %d plan summaries, want 1:\n%s", len(rep.Plans), lastLines(stdout.String(), 20))
	}
	p := rep.Plans[0]
	res.WorkItems, res.Accounts = p.WorkItems, len(p.Accounts)
	if p.Error != "" || len(p.Refused) > 0 || res.Accounts != opts.Shape.Accounts || res.WorkItems != res.Bound.WorkItems || !slices.Equal(p.Regions, opts.Regions) {
		return fmt.Errorf("the plan reached %d accounts in %v with %d work items, refused %d, error %q; want %d accounts in %v, %d work items",
			res.Accounts, p.Regions, res.WorkItems, len(p.Refused), p.Error, opts.Shape.Accounts, opts.Regions, res.Bound.WorkItems)
	}
	res.PlanCalls, res.OtherPlanCalls = map[string]int{}, map[string]int{}
	for op, n := range emu.Stats().Calls {
		if strings.HasPrefix(op, "organizations:") || strings.HasPrefix(op, "sqs:") {
			res.PlanCalls[op] = n
		} else {
			res.OtherPlanCalls[op] = n
		}
	}
	emu.ResetStats()
	return nil
}

// checkQueued fails unless the queue held exactly one dry-run offboarding
// work item of one plan per member account and region.
func checkQueued(items []apprunnerlocal.QueueMessage, accounts int, regions []string) error {
	type key struct{ account, region string }
	seen := map[key]bool{}
	plans := map[string]bool{}
	for _, m := range items {
		var w struct {
			Action    string `json:"action"`
			AccountID string `json:"accountId"`
			Region    string `json:"region"`
			PlanID    string `json:"planId"`
			DryRun    bool   `json:"dryRun"`
		}
		if err := json.Unmarshal([]byte(m.Body), &w); err != nil {
			return fmt.Errorf("work item %s: %w", m.ID, err)
		}
		k := key{w.AccountID, w.Region}
		if w.Action != "offboard" || !w.DryRun || seen[k] || !slices.Contains(regions, w.Region) {
			return fmt.Errorf("work item %s: %s", m.ID, m.Body)
		}
		seen[k], plans[w.PlanID] = true, true
	}
	if len(seen) != accounts*len(regions) || len(plans) != 1 {
		return fmt.Errorf("the queue held %d work items of %d plans, want %d of one", len(seen), len(plans), accounts*len(regions))
	}
	return nil
}

// reportDuration is the runtime interface emulator's line about a finished
// invocation.
var reportDuration = regexp.MustCompile(`^REPORT RequestId: \S+.*\tDuration: ([0-9.]+) ms`)

// runBatches runs the sample in batches of EventSourceBatch under one
// runtime interface emulator, checking what each work item decided.
func (res *PlanResult) runBatches(ctx context.Context, opts PlanOptions, emu *apprunnerlocal.Server, sample []apprunnerlocal.QueueMessage, env []string) error {
	rt, err := lambdarun.Start(ctx, lambdarun.Options{
		Binaries: lambdarun.Binaries{Bootstrap: opts.Bootstrap, RIE: opts.RIE},
		Env:      append(env, "AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_FUNCTION_TIMEOUT=300"),
	})
	if err != nil {
		return err
	}
	defer rt.Close()
	for msgs := range slices.Chunk(sample, EventSourceBatch) {
		event, err := json.Marshal(apprunnerlocal.LambdaSQSEvent(msgs, time.Now()))
		if err != nil {
			return err
		}
		emu.ResetStats()
		start := time.Now()
		out, err := rt.Invoke(ctx, event)
		took := time.Since(start)
		if err != nil {
			return fmt.Errorf("batch %d: %w", len(res.Batches)+1, err)
		}
		var resp struct {
			Failures []json.RawMessage `json:"batchItemFailures"`
		}
		if err := json.Unmarshal(out, &resp); err != nil || len(resp.Failures) > 0 {
			return fmt.Errorf("batch %d: the function answered %s", len(res.Batches)+1, out)
		}
		b, err := batchResult(ctx, rt, len(msgs), opts.Population)
		if err != nil {
			return fmt.Errorf("batch %d: %w", len(res.Batches)+1, err)
		}
		b.Invoke, b.Calls = took, emu.Stats().Calls
		res.Batches = append(res.Batches, b)
	}
	res.First = res.Batches[0].Invoke
	later := make([]time.Duration, 0, len(res.Batches)-1)
	for _, b := range res.Batches[1:] {
		later = append(later, b.Invoke)
	}
	res.Batch = median(later)
	return nil
}

// batchResult reads an invocation's lines, up to both its metrics record
// (the function's last line) and the runtime interface emulator's REPORT,
// whichever comes first: the REPORT's Duration, and the work item
// summaries, each of which must have decided what the seed implies.
func batchResult(ctx context.Context, rt *lambdarun.Runtime, items int, p Population) (BatchResult, error) {
	lines, err := nextInvocationLines(ctx, rt)
	if err != nil {
		return BatchResult{}, err
	}
	b := BatchResult{Items: items}
	summaries := 0
	for _, l := range lines {
		if m := reportDuration.FindStringSubmatch(l); m != nil {
			ms, err := strconv.ParseFloat(m[1], 64)
			if err != nil {
				return b, fmt.Errorf("REPORT %q: %w", m[1], err)
			}
			b.Duration = time.Duration(ms * float64(time.Millisecond))
			continue
		}
		var line struct {
			Message string         `json:"message"`
			Counts  map[string]int `json:"counts"`
		}
		if json.Unmarshal([]byte(l), &line) != nil || line.Message != "work item summary" {
			continue
		}
		summaries++
		want := map[string]int{"in_use": p.InUse, "would_delete": p.Free}
		for o, n := range line.Counts {
			if n != want[o] {
				return b, fmt.Errorf("a work item decided %s; want in_use %d, would_delete %d: %s", nonZero(line.Counts), p.InUse, p.Free, l)
			}
		}
	}
	if summaries != items {
		return b, fmt.Errorf("%d work item summaries for %d work items", summaries, items)
	}
	return b, nil
}

// planFront stands in front of the emulator: it adds the latency to STS
// and SQS calls, which the emulator answers at once, and notes when the
// first Organizations or SQS call arrived and the last was answered.
type planFront struct {
	next    http.Handler
	latency time.Duration
	callWindow
}

func (f *planFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	sqs := strings.HasPrefix(target, "AmazonSQS.")
	sts := target == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
	planning := sqs || strings.HasPrefix(target, "AWSOrganizationsV20161128.")
	start := time.Now()
	if (sqs || sts) && f.latency > 0 {
		t := time.NewTimer(f.latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	f.next.ServeHTTP(w, r)
	if !planning {
		return
	}
	f.add(start, time.Now())
}

// orgCallsPerItem is the Organizations calls of the warm batches per work
// item.
func (res *PlanResult) orgCallsPerItem() float64 {
	calls, items := 0, 0
	for _, b := range res.Batches[1:] {
		calls += b.OrgCalls()
		items += b.Items
	}
	if items == 0 {
		return 0
	}
	return float64(calls) / float64(items)
}
