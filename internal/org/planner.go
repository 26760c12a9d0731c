package org

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// Planner plans sweeps and offboarding of accounts of the organization:
// it resolves a plan request's OUs and accounts with a Directory and sends
// one work item per account and region to the cleanup queue, where Lambda's
// SQS event source runs each as a request of its own.
type Planner struct {
	dir      *Directory
	queue    Queue
	queueURL string
	regions  []string

	// DryRun is the function's own dry run (DRY_RUN). It is stamped, with
	// the request's, into every plan and work item, so a work item planned
	// as a dry run stays one however long it waits in the queue and
	// whatever DRY_RUN says when it runs. Set it before the first Plan.
	DryRun bool

	// NewPlanID returns the ID of a new plan. NewPlanner's returns "plan-"
	// and 16 random hexadecimal digits. Tests may replace it before the
	// first Plan.
	NewPlanID func() string
}

const (
	// batchSize is the most entries one SendMessageBatch takes.
	batchSize = 10
	// sendParallelism bounds the SendMessageBatch calls under way at once.
	sendParallelism = 4
	// reasonExcerpt bounds each failure reason a summary quotes.
	reasonExcerpt = 200
)

// NewPlanner returns a planner that resolves accounts with dir and sends
// work items to the standard SQS queue at queueURL. defaultRegions are
// the regions of a plan request that names none.
func NewPlanner(dir *Directory, queue Queue, queueURL string, defaultRegions []string) *Planner {
	return &Planner{dir: dir, queue: queue, queueURL: queueURL, regions: slices.Clone(defaultRegions), NewPlanID: randomPlanID}
}

// randomPlanID returns "plan-" and 64 random bits in hexadecimal.
func randomPlanID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return "plan-" + hex.EncodeToString(b[:])
}

// workItem is one work item as the trigger decodes it. dryRun is always
// written: a work item that does not say runs as a dry run.
// waitForServices is left out when false, its default: the decoder
// refuses nulls, and a smaller body is cheaper.
type workItem struct {
	Action          request.Action `json:"action"`
	AccountID       string         `json:"accountId"`
	Region          string         `json:"region"`
	PlanID          string         `json:"planId"`
	DryRun          bool           `json:"dryRun"`
	WaitForServices bool           `json:"waitForServices,omitempty"`
	// AfterUnusedFor is the plan's idle period, if it asked for one.
	AfterUnusedFor string `json:"afterUnusedFor,omitempty"`
	// ResourceTypes are the kinds the plan asked for, if it named them;
	// left out, each work item covers its function's configured kinds.
	ResourceTypes []request.Kind `json:"resourceTypes,omitempty"`
}

// maxDelay is the longest delay SQS gives a message.
const maxDelay = 15 * time.Minute

// afterUnusedFor is the idle period a plan asked for, as its work items
// carry it ("" if none): whole seconds, which request.ParseAge reads back.
func afterUnusedFor(req request.Request) string {
	if req.AfterUnusedFor <= 0 {
		return ""
	}
	return req.AfterUnusedFor.Round(time.Second).String()
}

// Plan plans req, a request with a Plan: it resolves the accounts, takes
// the request's regions (or the default regions), and sends one work
// item per account and region, ten to a SendMessageBatch call, a few calls
// at a time. Entries the queue reports as failed are sent once more. The
// summary says what was sent and refused; its Error says why nothing was
// planned, or how many work items were not sent: the caller then retries
// the whole plan, which only repeats idempotent work items.
func (p *Planner) Plan(ctx context.Context, req request.Request) request.PlanSummary {
	sum := request.PlanSummary{
		RequestID: req.ID, PlanID: p.NewPlanID(), Action: req.Action, DryRun: req.DryRun || p.DryRun,
		Accounts: []string{}, Regions: []string{}, Refused: []request.Refusal{},
	}
	if req.Plan == nil {
		sum.Error = "not a plan: the request names no OUs or accounts of the organization"
		return sum
	}
	reach, refused, err := p.dir.Resolve(ctx, req.Action, req.Plan.OrganizationalUnitIDs, req.Plan.AccountIDs)
	if err != nil {
		sum.Error = fmt.Sprintf("resolve the plan's accounts with AWS Organizations: %v", err)
		return sum
	}
	sum.Refused = append(sum.Refused, refused...)

	regions := req.Plan.Regions
	if len(regions) == 0 {
		regions = p.regions
	}
	for _, r := range regions {
		if !request.HasAppRunner(request.PartitionOf(r), r) {
			sum.Refused = append(sum.Refused, request.Refusal{Subject: r, Reason: fmt.Sprintf("region %q: no App Runner there", r)})
			continue
		}
		if !slices.Contains(sum.Regions, r) {
			sum.Regions = append(sum.Regions, r)
		}
	}
	if len(sum.Regions) == 0 {
		sum.Error = "the plan covers no region: the request names none, and the function has no default region where App Runner is"
		return sum
	}
	if len(reach) == 0 {
		return sum
	}
	sum.Accounts = reach

	delay := min(max(req.Delay, 0), maxDelay).Truncate(time.Second)
	if delay > 0 {
		sum.Delay = delay.String()
	}
	bodies := make([]string, 0, len(reach)*len(sum.Regions))
	for _, account := range reach {
		for _, region := range sum.Regions {
			b, err := json.Marshal(workItem{
				Action: req.Action, AccountID: account, Region: region, PlanID: sum.PlanID,
				DryRun: sum.DryRun, WaitForServices: req.WaitForServices, AfterUnusedFor: afterUnusedFor(req),
				ResourceTypes: req.Kinds,
			})
			if err != nil { // strings and booleans always marshal
				panic(err)
			}
			bodies = append(bodies, string(b))
		}
	}
	sent, reasons := p.send(ctx, bodies, int32(delay/time.Second))
	sum.WorkItems = sent
	if sent < len(bodies) {
		sum.Error = fmt.Sprintf("%d of %d work items were not sent (%s): retry the plan (a work item sent twice only repeats idempotent work)",
			len(bodies)-sent, len(bodies), strings.Join(reasons, "; "))
	}
	return sum
}

// batchResult is what sending one batch came to.
type batchResult struct {
	sent    int
	reasons []string // why entries were not sent
}

// send sends the bodies in batches, at most sendParallelism at a time, and
// returns how many were sent and the distinct reasons of those that were
// not.
func (p *Planner) send(ctx context.Context, bodies []string, delaySeconds int32) (sent int, reasons []string) {
	results := make([]batchResult, (len(bodies)+batchSize-1)/batchSize)
	slots := make(chan struct{}, sendParallelism)
	var wg sync.WaitGroup
	for i := range results {
		batch := bodies[i*batchSize : min((i+1)*batchSize, len(bodies))]
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			results[i] = batchResult{reasons: []string{ctx.Err().Error()}}
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			results[i] = p.sendBatch(ctx, batch, delaySeconds)
		})
	}
	wg.Wait()
	for _, r := range results {
		sent += r.sent
		for _, why := range r.reasons {
			if !slices.Contains(reasons, why) {
				reasons = append(reasons, why)
			}
		}
	}
	slices.Sort(reasons)
	return sent, reasons
}

// sendBatch sends one batch of at most batchSize bodies, each delayed by
// delaySeconds; the entries the queue reports as failed are sent once
// more.
func (p *Planner) sendBatch(ctx context.Context, bodies []string, delaySeconds int32) batchResult {
	entries := make([]types.SendMessageBatchRequestEntry, len(bodies))
	for i, b := range bodies {
		// IDs need only be unique within the batch.
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(b)}
		if delaySeconds > 0 {
			entries[i].DelaySeconds = delaySeconds
		}
	}
	var reasons []string
	for attempt := 0; attempt < 2 && len(entries) > 0; attempt++ {
		if err := ctx.Err(); err != nil {
			return batchResult{sent: len(bodies) - len(entries), reasons: []string{err.Error()}}
		}
		out, err := p.queue.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(p.queueURL), Entries: entries})
		if err != nil {
			// The SDK has retried the call already.
			return batchResult{sent: len(bodies) - len(entries), reasons: []string{request.Excerpt(err.Error(), reasonExcerpt)}}
		}
		failed := make(map[string]string, len(out.Failed))
		for _, f := range out.Failed {
			failed[aws.ToString(f.Id)] = request.Excerpt(fmt.Sprintf("%s: %s", aws.ToString(f.Code), aws.ToString(f.Message)), reasonExcerpt)
		}
		reasons = reasons[:0]
		again := entries[:0:0]
		for _, e := range entries {
			if why, ok := failed[aws.ToString(e.Id)]; ok {
				again = append(again, e)
				if !slices.Contains(reasons, why) {
					reasons = append(reasons, why)
				}
			}
		}
		entries = again
	}
	return batchResult{sent: len(bodies) - len(entries), reasons: reasons}
}
