package cleanup

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
)

// deleteCandidates deletes the candidates, or says it would in a dry run.
func (r *run) deleteCandidates(ctx context.Context, candidates []*target) {
	var stale sync.Once
	forEach(ctx, r.e.cfg.MaxConcurrency, len(candidates), func(ctx context.Context, i int) {
		t := candidates[i]
		if t.dryRun {
			why := "dry run requested"
			if r.e.cfg.DryRun {
				why = "dry run (DRY_RUN is on)"
			}
			t.conclude(OutcomeWouldDelete, why+": no service uses it and policy allows deletion", nil)
			return
		}
		if ctx.Err() != nil {
			t.conclude(OutcomeFailed, stopReason(ctx.Err()), nil)
			return
		}
		out, err := r.api.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{ConnectionArn: aws.String(t.arn)})
		if err == nil {
			reason := "no service uses it and policy allows deletion"
			if out.Connection != nil {
				reason += fmt.Sprintf("; App Runner reports status %s", out.Connection.Status)
			}
			t.conclude(OutcomeDeleted, reason, nil)
			return
		}
		switch classify(err) {
		case errNotFound:
			t.conclude(OutcomeAlreadyDeleted, "not found when deleting: already deleted", nil)
		case errRefused:
			// App Runner's own in-use guard is the last line: the index
			// missed a user (a service created since it was built).
			stale.Do(r.e.cache.invalidate)
			t.conclude(OutcomeInUse, "App Runner refused the deletion: "+errText(err), nil)
		default:
			t.conclude(OutcomeFailed, failedReason(err, "delete connection: "+errText(err)), nil)
		}
	}, func(i int, reason string) { candidates[i].conclude(OutcomeFailed, reason, nil) })
}
