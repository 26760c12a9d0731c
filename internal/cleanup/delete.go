package cleanup

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/apprunner-tools/connection-cleanup/internal/request"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
)

// deleteCandidates takes each candidate from its protection tag straight
// to its deletion (or would_delete in a dry run), each on one of the run's
// slots.
func (r *run) deleteCandidates(ctx context.Context, candidates []*target) {
	var stale sync.Once
	forEach(ctx, r.api.slots, len(candidates), func(ctx context.Context, i int) {
		t := candidates[i]
		if r.protectedByTag(ctx, t) {
			return
		}
		if t.dryRun {
			why := "dry run requested"
			if r.e.cfg.DryRun {
				why = "dry run (" + cmp.Or(r.e.cfg.DryRunBy, "DRY_RUN is on") + ")"
			}
			t.conclude(request.OutcomeWouldDelete, why+": no service uses it and policy allows deletion", nil)
			return
		}
		if ctx.Err() != nil {
			t.conclude(request.OutcomeFailed, stopReason(ctx.Err()), nil)
			return
		}
		out, err := r.api.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{ConnectionArn: aws.String(t.arn)})
		if err == nil {
			reason := "no service uses it and policy allows deletion"
			if out.Connection != nil {
				reason += fmt.Sprintf("; App Runner reports status %s", out.Connection.Status)
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
			t.conclude(request.OutcomeFailed, failedReason(err, "delete connection: "+errText(err)), nil)
		}
	}, func(i int, reason string) { candidates[i].conclude(request.OutcomeFailed, reason, nil) })
}

// protectedByTag reads a candidate's tags, one call, and concludes it when
// the protection tag keeps it or the look-up fails. It reports whether the
// candidate was concluded.
func (r *run) protectedByTag(ctx context.Context, t *target) bool {
	key := r.e.cfg.ProtectTagKey
	if key == "" {
		return false
	}
	if ctx.Err() != nil {
		t.conclude(request.OutcomeFailed, stopReason(ctx.Err()), nil)
		return true
	}
	out, err := r.api.ListTagsForResource(ctx, &apprunner.ListTagsForResourceInput{ResourceArn: aws.String(t.arn)})
	if err != nil {
		if classify(err) == errNotFound {
			t.conclude(request.OutcomeAlreadyDeleted, "not found: already deleted", nil)
		} else {
			t.conclude(request.OutcomeFailed, failedReason(err, "list tags: "+errText(err)), nil)
		}
		return true
	}
	for _, tag := range out.Tags {
		if aws.ToString(tag.Key) == key && !strings.EqualFold(aws.ToString(tag.Value), "false") {
			t.conclude(request.OutcomeProtected, fmt.Sprintf("protection tag %s=%s", key, aws.ToString(tag.Value)), nil)
			return true
		}
	}
	return false
}
