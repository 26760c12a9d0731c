package cleanup

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
	"github.com/aws/smithy-go"
)

// discover finds the targets' current state and the usage index. Connections
// are listed before services: a service created in between can only use a
// connection that is already listed, so it is seen in the index.
func (r *run) discover(ctx context.Context, full *sweep, byService map[string]*sweep) (*usageIndex, error) {
	for _, svcARN := range slices.Sorted(maps.Keys(byService)) {
		if !r.connectionOfService(ctx, svcARN, byService[svcARN]) {
			// The service is gone, so what it used cannot be told: fall
			// back to sweeping every connection under the sweep's policy.
			if full == nil {
				full = &sweep{}
			}
			for _, id := range byService[svcARN].ids {
				full.merge(id, byService[svcARN].dryRun)
			}
		}
	}

	listed := false
	if full != nil || r.explicitCount() > lookupThreshold {
		if err := r.listAll(ctx, full); err != nil {
			reason := "list connections: " + errText(err)
			if full != nil {
				r.invalid = append(r.invalid, Result{
					ConnectionARN: everyConnection(r.e.cfg.Partition, r.e.cfg.Region, r.e.cfg.Account),
					Outcome:       OutcomeFailed,
					Reason:        failedReason(err, reason),
					RequestIDs:    full.ids,
				})
			}
			for _, t := range r.order {
				if t.result == nil {
					t.decide(OutcomeFailed, failedReason(err, reason), nil)
				}
			}
			return nil, err
		}
		listed = true
	}
	if !listed {
		r.lookupNamed(ctx)
	}

	if !r.undecided() {
		return nil, nil
	}
	now := r.e.cfg.Now()
	prev, gen := r.e.cache.get(now, r.e.cfg.IndexTTL)
	idx, err := buildIndex(ctx, r.api, r.e.cfg.MaxConcurrency, now, prev)
	if err != nil {
		return nil, err
	}
	r.e.cache.put(idx, gen)
	return idx, nil
}

// connectionOfService adds, as a sweep target, the connection a (deleted)
// service used. It reports false when the service cannot be found.
func (r *run) connectionOfService(ctx context.Context, svcARN string, s *sweep) bool {
	out, err := r.api.DescribeService(ctx, &apprunner.DescribeServiceInput{ServiceArn: aws.String(svcARN)})
	if err != nil {
		if classify(err) == errNotFound {
			return false
		}
		r.invalid = append(r.invalid, Result{
			ConnectionARN: svcARN,
			Outcome:       OutcomeFailed,
			Reason:        failedReason(err, "find the connection of service "+svcARN+": "+errText(err)),
			RequestIDs:    s.ids,
		})
		return true
	}
	conn := connectionOf(out.Service)
	if conn == "" {
		return true // an image-based service uses no connection
	}
	a, err := ParseConnectionARN(conn)
	if err != nil || r.foreign(a) != "" {
		return true // not a connection this function may delete
	}
	r.add(a.String(), a.Name, s.ids, s.dryRun, false)
	return true
}

func (r *run) explicitCount() int {
	n := 0
	for _, t := range r.order {
		if t.named {
			n++
		}
	}
	return n
}

func (r *run) undecided() bool {
	return slices.ContainsFunc(r.order, func(t *target) bool { return t.result == nil })
}

// listAll lists every connection, adding those found to the sweep (if any)
// and recording the state of named ones.
func (r *run) listAll(ctx context.Context, full *sweep) error {
	p := apprunner.NewListConnectionsPaginator(r.api, &apprunner.ListConnectionsInput{MaxResults: aws.Int32(listConnectionsPageSize)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, c := range page.ConnectionSummaryList {
			arn := aws.ToString(c.ConnectionArn)
			t := r.targets[arn]
			if t == nil {
				if full == nil {
					continue
				}
				// What the listing returns is checked as a named ARN is:
				// credentials of another account or region than the one
				// configured must not make its connections fair game.
				if why := r.outOfScope(arn); why != "" {
					r.invalid = append(r.invalid, Result{
						ConnectionARN:  arn,
						ConnectionName: aws.ToString(c.ConnectionName),
						Outcome:        OutcomeInvalid,
						Reason:         "listed by App Runner, but " + why + "; not deleted: check that the credentials are the configured account's",
						RequestIDs:     full.ids,
					})
					continue
				}
				t = r.add(arn, aws.ToString(c.ConnectionName), full.ids, full.dryRun, false)
			} else if full != nil {
				r.add(arn, t.name, full.ids, full.dryRun, false)
			}
			t.found, t.status, t.createdAt = true, c.Status, c.CreatedAt
		}
	}
	return nil
}

// lookupNamed finds each named connection with a filtered listing: cheaper
// than a full listing when few are named.
func (r *run) lookupNamed(ctx context.Context) {
	forEach(ctx, r.e.cfg.MaxConcurrency, len(r.order), func(ctx context.Context, i int) {
		t := r.order[i]
		if t.result != nil || t.found {
			return
		}
		if ctx.Err() != nil {
			t.decide(OutcomeFailed, stopReason(ctx.Err()), nil)
			return
		}
		p := apprunner.NewListConnectionsPaginator(r.api, &apprunner.ListConnectionsInput{
			ConnectionName: aws.String(t.name),
			MaxResults:     aws.Int32(listConnectionsPageSize),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.decide(OutcomeFailed, failedReason(err, "look up connection: "+errText(err)), nil)
				return
			}
			for _, c := range page.ConnectionSummaryList {
				if aws.ToString(c.ConnectionArn) == t.arn {
					t.found, t.status, t.createdAt = true, c.Status, c.CreatedAt
				}
			}
		}
	}, func(i int, reason string) { r.order[i].decide(OutcomeFailed, reason, nil) })
}

// decide applies the policy to every undecided target and returns the ones
// that may be deleted.
func (r *run) decide(ctx context.Context, idx *usageIndex, idxErr error) []*target {
	cfg := &r.e.cfg
	now := cfg.Now()
	var candidates []*target
	for _, t := range r.order {
		if t.result != nil {
			continue
		}
		young := t.createdAt == nil || now.Sub(*t.createdAt) < cfg.MinAge
		switch {
		case !t.found:
			t.decide(OutcomeAlreadyDeleted, "not found: already deleted", nil)
		case t.status == types.ConnectionStatusDeleted:
			t.decide(OutcomeAlreadyDeleted, "status DELETED: already deleted", nil)
		case cfg.nameVerdict(t.name) != "":
			t.decide(OutcomeProtected, cfg.nameVerdict(t.name), nil)
		case !t.named && t.createdAt == nil:
			t.decide(OutcomeTooYoung, "creation time unknown: kept until its age can be told", nil)
		case !t.named && young:
			t.decide(OutcomeTooYoung, fmt.Sprintf("created %s ago, less than the minimum age %s",
				now.Sub(*t.createdAt).Round(time.Second), cfg.MinAge), nil)
		case idxErr != nil:
			t.decide(OutcomeFailed, failedReason(idxErr, "usage index: "+errText(idxErr)), nil)
		case len(idx.users[t.arn]) > 0:
			users := idx.users[t.arn]
			t.decide(OutcomeInUse, usedByReason(users), users)
		default:
			// Deleted for real only if a request that named it asked so,
			// or a real sweep whose minimum age it passes.
			t.dryRun = !(t.namedReal || (t.sweptReal && !young))
			candidates = append(candidates, t)
		}
	}
	if cfg.ProtectTagKey == "" {
		return candidates
	}

	// Tags are looked up only for deletion candidates: it is one call each.
	forEach(ctx, cfg.MaxConcurrency, len(candidates), func(ctx context.Context, i int) {
		t := candidates[i]
		if ctx.Err() != nil {
			t.decide(OutcomeFailed, stopReason(ctx.Err()), nil)
			return
		}
		out, err := r.api.ListTagsForResource(ctx, &apprunner.ListTagsForResourceInput{ResourceArn: aws.String(t.arn)})
		if err != nil {
			if classify(err) == errNotFound {
				t.decide(OutcomeAlreadyDeleted, "not found: already deleted", nil)
				return
			}
			t.decide(OutcomeFailed, failedReason(err, "list tags: "+errText(err)), nil)
			return
		}
		for _, tag := range out.Tags {
			if aws.ToString(tag.Key) == cfg.ProtectTagKey && !strings.EqualFold(aws.ToString(tag.Value), "false") {
				t.decide(OutcomeProtected, fmt.Sprintf("protection tag %s=%s", cfg.ProtectTagKey, aws.ToString(tag.Value)), nil)
				return
			}
		}
	}, func(i int, reason string) { candidates[i].decide(OutcomeFailed, reason, nil) })
	return slices.DeleteFunc(candidates, func(t *target) bool { return t.result != nil })
}

func usedByReason(users []ServiceRef) string {
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = fmt.Sprintf("%s (%s)", u.ServiceName, u.Status)
	}
	return fmt.Sprintf("used by %d service(s): %s", len(users), strings.Join(names, ", "))
}

// delete deletes the candidates, or says it would in a dry run.
func (r *run) delete(ctx context.Context, candidates []*target) {
	var stale sync.Once
	forEach(ctx, r.e.cfg.MaxConcurrency, len(candidates), func(ctx context.Context, i int) {
		t := candidates[i]
		if t.dryRun {
			why := "dry run requested"
			if r.e.cfg.DryRun {
				why = "dry run (DRY_RUN is on)"
			}
			t.decide(OutcomeWouldDelete, why+": no service uses it and policy allows deletion", nil)
			return
		}
		if ctx.Err() != nil {
			t.decide(OutcomeFailed, stopReason(ctx.Err()), nil)
			return
		}
		out, err := r.api.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{ConnectionArn: aws.String(t.arn)})
		if err == nil {
			reason := "no service uses it and policy allows deletion"
			if out.Connection != nil {
				reason += fmt.Sprintf("; App Runner reports status %s", out.Connection.Status)
			}
			t.decide(OutcomeDeleted, reason, nil)
			return
		}
		switch classify(err) {
		case errNotFound:
			t.decide(OutcomeAlreadyDeleted, "not found when deleting: already deleted", nil)
		case errRefused:
			// App Runner's own in-use guard is the last line: the index
			// missed a user (a service created since it was built).
			stale.Do(r.e.cache.invalidate)
			t.decide(OutcomeInUse, "App Runner refused the deletion: "+errText(err), nil)
		default:
			t.decide(OutcomeFailed, failedReason(err, "delete connection: "+errText(err)), nil)
		}
	}, func(i int, reason string) { candidates[i].decide(OutcomeFailed, reason, nil) })
}

// report assembles the run's report.
func (r *run) report(reqs []Request, start time.Time) *Report {
	rep := &Report{
		Action:   runAction(reqs),
		DryRun:   r.allDryRun(reqs),
		APICalls: r.api.counts(),
		Duration: r.e.cfg.Now().Sub(start),
	}
	rep.Results = make([]Result, 0, len(r.order)+len(r.invalid))
	for _, t := range r.order {
		if t.result == nil { // cannot happen; never lose a connection if it does
			t.decide(OutcomeFailed, "internal error: no decision was taken", nil)
		}
		rep.Results = append(rep.Results, *t.result)
	}
	rep.Results = append(rep.Results, r.invalid...)
	rep.tally()
	return rep
}

// tally counts the results by outcome, every outcome present, zeros included.
func (rep *Report) tally() {
	rep.Counts = make(map[Outcome]int, len(Outcomes()))
	for _, o := range Outcomes() {
		rep.Counts[o] = 0
	}
	for _, res := range rep.Results {
		rep.Counts[res.Outcome]++
	}
}

// everyConnection stands, in a result, for all the connections of an account
// and region: the subject of a listing that failed.
func everyConnection(partition, region, account string) string {
	return fmt.Sprintf("arn:%s:apprunner:%s:%s:connection/*", partition, region, account)
}

func runAction(reqs []Request) Action {
	var a Action
	for _, req := range reqs {
		if req.Invalid != "" {
			continue
		}
		if a != "" && a != req.Action {
			return ActionBatch
		}
		a = req.Action
	}
	return a
}

// allDryRun reports whether every valid request was a dry run, so the run
// could not delete anything.
func (r *run) allDryRun(reqs []Request) bool {
	any := false
	for i := range reqs {
		if reqs[i].Invalid != "" {
			continue
		}
		if !r.dryRun(&reqs[i]) {
			return false
		}
		any = true
	}
	return any || r.e.cfg.DryRun
}

// failedReason prefers the deadline explanation when the deadline caused err.
func failedReason(err error, reason string) string {
	if classify(err) == errDeadline {
		return deadlineReason(err)
	}
	if classify(err) == errThrottled {
		return "throttled by App Runner after retries: " + reason
	}
	return reason
}

// stopReason explains work the run did not do because its context ended:
// the deadline, or a cancellation (an operator's Ctrl-C, a runtime shutdown).
func stopReason(err error) string {
	if errors.Is(err, context.Canceled) {
		return reasonCancelled
	}
	return reasonDeadline
}

// deadlineReason explains a call that the run's end (its deadline, or a
// cancellation) stopped: never started, or cut off while under way. A call
// cut off may have done its work on App Runner's side, so it is not
// reported as not started.
func deadlineReason(err error) string {
	var notStarted *notStartedError
	var op *smithy.OperationError
	if errors.As(err, &notStarted) || !errors.As(err, &op) {
		return stopReason(err)
	}
	why, cause := "deadline", "the function's time ran out"
	if errors.Is(err, context.Canceled) {
		why, cause = "cancelled", "the run was stopped"
	}
	if op.OperationName != "DeleteConnection" {
		// A read cut off changed nothing.
		return fmt.Sprintf("%s: %s was under way when %s and did not finish; it will be retried", why, op.OperationName, cause)
	}
	return fmt.Sprintf("%s: DeleteConnection was under way when %s; its result is unknown, and it will be retried "+
		"(App Runner may have deleted the connection already: a retry then reports it already_deleted)", why, cause)
}

// errText is the App Runner error code and message without the SDK's
// request metadata, which is in the trace already.
func errText(err error) string {
	prefix := ""
	if viaSTS(err) {
		// The call never reached App Runner: its credentials could not be
		// had, which for an offboarded account means the role's trust.
		prefix = "getting credentials from STS (the offboarding role's trust policy?): "
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return prefix + apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	return prefix + err.Error()
}

// viaSTS reports whether err went through a failed STS call.
func viaSTS(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if oe, ok := e.(*smithy.OperationError); ok && oe.ServiceID == "STS" {
			return true
		}
	}
	return false
}

type noopTracer struct{}

func (noopTracer) StartPhase(ctx context.Context, _ string) (context.Context, func(map[string]int64, error)) {
	return ctx, func(map[string]int64, error) {}
}
