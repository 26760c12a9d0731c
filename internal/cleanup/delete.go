package cleanup

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/apprunner-tools/connection-cleanup/internal/request"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
)

// deleteCandidates takes each candidate from its cross-check (an auto
// scaling configuration's services, asked of App Runner) and its tags (the
// protection tag, the idle period's mark) straight to its deletion (or
// would_delete in a dry run), and removes the marks of targets in use
// again (see unmark), each on one of the run's slots.
func (r *run) deleteCandidates(ctx context.Context, candidates []*target) {
	work := slices.Clone(candidates)
	for _, t := range r.order {
		if t.unmark {
			work = append(work, t)
		}
	}
	var stale sync.Once
	forEach(ctx, r.api.slots, len(work), func(ctx context.Context, i int) {
		t := work[i]
		if t.unmark {
			r.unmarkUsed(ctx, t)
			return
		}
		if !r.crossCheck(ctx, t) {
			return
		}
		tags, ok := r.tagsOf(ctx, t)
		if !ok || r.protectedByTag(t, tags) || r.waiting(ctx, t, tags) {
			return
		}
		if t.dryRun {
			t.conclude(request.OutcomeWouldDelete, r.dryRunWhy()+": no service uses it and policy allows deletion"+t.idleNote, nil)
			return
		}
		if ctx.Err() != nil {
			t.conclude(request.OutcomeFailed, stopReason(ctx.Err()), nil)
			return
		}
		status, err := deleteKind(ctx, r.api, t.kind, t.arn)
		if err == nil {
			reason := "no service uses it and policy allows deletion" + t.idleNote
			if status != "" {
				reason += fmt.Sprintf("; App Runner reports status %s", status)
			}
			t.conclude(request.OutcomeDeleted, reason, nil)
			return
		}
		switch classify(err) {
		case errNotFound:
			t.conclude(request.OutcomeAlreadyDeleted, "not found when deleting: already deleted", nil)
		case errRefused:
			// App Runner's own in-use guard is the last line: the index
			// missed a user (a service created since it was built).
			stale.Do(r.e.cache.invalidate)
			t.conclude(request.OutcomeInUse, "App Runner refused the deletion: "+errText(err), nil)
		default:
			t.conclude(request.OutcomeFailed, failedReason(err, "delete "+t.kind.Noun()+": "+errText(err)), nil)
		}
	}, func(i int, reason string) { work[i].conclude(request.OutcomeFailed, reason, nil) })
}

// crossCheck asks App Runner which services use a candidate auto scaling
// configuration (one call; other kinds have no such question), and
// concludes it in_use when any does: the index found none, so the two
// disagree, and a disagreement never deletes. It reports whether the
// candidate is still one.
func (r *run) crossCheck(ctx context.Context, t *target) bool {
	if t.kind != request.KindAutoScaling {
		return true
	}
	if ctx.Err() != nil {
		t.conclude(request.OutcomeFailed, stopReason(ctx.Err()), nil)
		return false
	}
	services, err := servicesOfAutoScaling(ctx, r.api, t.arn)
	switch {
	case err != nil && classify(err) == errNotFound:
		t.conclude(request.OutcomeAlreadyDeleted, "not found when listing its services: already deleted", nil)
		return false
	case err != nil:
		t.conclude(request.OutcomeFailed, failedReason(err, "list services for auto scaling configuration: "+errText(err)), nil)
		return false
	case len(services) > 0:
		users := make([]request.ServiceRef, len(services))
		for i, s := range services {
			users[i] = request.ServiceRef{ServiceARN: s}
			if a, err := request.ParseServiceARN(s); err == nil {
				users[i].ServiceName = a.Name
			}
		}
		t.conclude(request.OutcomeInUse, fmt.Sprintf("App Runner lists %d service(s) using it (ListServicesForAutoScalingConfiguration), though the usage index found none: kept", len(services)), users)
		return false
	}
	return true
}

// dryRunWhy names what makes a candidate's decision a dry run.
func (r *run) dryRunWhy() string {
	if r.e.cfg.DryRun {
		return "dry run (" + cmp.Or(r.e.cfg.DryRunBy, "DRY_RUN is on") + ")"
	}
	return "dry run requested"
}

// tagsOf reads a candidate's tags, one call, when the protection tag or
// the idle period needs them (nil otherwise). A failed look-up concludes
// the candidate, and ok is false.
func (r *run) tagsOf(ctx context.Context, t *target) (tags map[string]string, ok bool) {
	if r.e.cfg.ProtectTagKey == "" && t.wait == 0 {
		return nil, true
	}
	if ctx.Err() != nil {
		t.conclude(request.OutcomeFailed, stopReason(ctx.Err()), nil)
		return nil, false
	}
	tags, err := r.readTags(ctx, t.arn)
	if err != nil {
		if classify(err) == errNotFound {
			t.conclude(request.OutcomeAlreadyDeleted, "not found: already deleted", nil)
		} else {
			t.conclude(request.OutcomeFailed, failedReason(err, "list tags: "+errText(err)), nil)
		}
		return nil, false
	}
	return tags, true
}

// readTags reads a resource's tags, one call.
func (r *run) readTags(ctx context.Context, arn string) (map[string]string, error) {
	out, err := r.api.ListTagsForResource(ctx, &apprunner.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		return nil, err
	}
	tags := make(map[string]string, len(out.Tags))
	for _, tag := range out.Tags {
		tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return tags, nil
}

// protectedByTag concludes a candidate that the protection tag keeps, and
// reports whether it did.
func (r *run) protectedByTag(t *target, tags map[string]string) bool {
	key := r.e.cfg.ProtectTagKey
	if v, ok := tags[key]; key != "" && ok && !strings.EqualFold(v, "false") {
		t.conclude(request.OutcomeProtected, fmt.Sprintf("protection tag %s=%s", key, v), nil)
		return true
	}
	return false
}
