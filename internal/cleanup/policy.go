package cleanup

import (
	"fmt"
	"strings"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/request"

	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
)

// applyPolicy applies the policy to every undecided target and returns the
// candidates for deletion: free, old enough where that counts, and not kept
// by a name pattern. Their protection tags are read on the way to deletion.
func (r *run) applyPolicy(idx *usageIndex, idxErr error) []*target {
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
			t.conclude(request.OutcomeAlreadyDeleted, "not found: already deleted", nil)
		case t.status == types.ConnectionStatusDeleted:
			t.conclude(request.OutcomeAlreadyDeleted, "status DELETED: already deleted", nil)
		case cfg.nameVerdict(t.connectionName) != "":
			t.conclude(request.OutcomeProtected, cfg.nameVerdict(t.connectionName), nil)
		case !t.named && t.createdAt == nil:
			t.conclude(request.OutcomeTooYoung, "creation time unknown: kept until its age can be told", nil)
		case !t.named && young:
			t.conclude(request.OutcomeTooYoung, fmt.Sprintf("created %s ago, less than the minimum age %s",
				now.Sub(*t.createdAt).Round(time.Second), cfg.MinAge), nil)
		case idxErr != nil:
			t.conclude(request.OutcomeFailed, failedReason(idxErr, "usage index: "+errText(idxErr)), nil)
		case len(idx.users[t.arn]) > 0:
			users := idx.users[t.arn]
			t.conclude(request.OutcomeInUse, usedByReason(users), users)
			// Used again: a mark from when it was free must not count
			// when it is free next. Only a real requester that waits
			// writes marks, so only one removes them.
			t.unmark = (t.namedForReal && t.namedWaits.real > 0) || (t.sweptForReal && t.sweptWaits.real > 0)
		default:
			t.dryRun, t.wait = decideWait(t, young)
			candidates = append(candidates, t)
		}
	}
	return candidates
}

// decideWait says whether a free target is deleted for real and after
// which idle period. Each requester decides alone: deleted for real only
// if a request that named it asked so, or a real sweep whose minimum age
// it passes; and then after the shortest wait among those, so that no
// requester's idle period delays the others, and a dry-run requester's
// shorter one deletes nothing. A dry run reports the shortest wait among
// all.
func decideWait(t *target, young bool) (dryRun bool, wait time.Duration) {
	var have bool
	take := func(d time.Duration) {
		if !have || d < wait {
			wait, have = d, true
		}
	}
	if t.namedForReal {
		take(t.namedWaits.real)
	}
	if t.sweptForReal && !young {
		take(t.sweptWaits.real)
	}
	if have {
		return false, wait
	}
	if t.named {
		take(t.namedWaits.all)
	}
	if t.swept && !young {
		take(t.sweptWaits.all)
	}
	return true, wait
}

func usedByReason(users []request.ServiceRef) string {
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = fmt.Sprintf("%s (%s)", u.ServiceName, u.Status)
	}
	return fmt.Sprintf("used by %d service(s): %s", len(users), strings.Join(names, ", "))
}
