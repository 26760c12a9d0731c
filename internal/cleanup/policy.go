package cleanup

import (
	"fmt"
	"strings"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// applyPolicy applies the policy to every undecided target and returns the
// candidates for deletion: free, old enough where that counts, and not kept
// by a name pattern or for being an account's default. Their protection
// tags are read on the way to deletion, and an auto scaling
// configuration's services asked of App Runner (see crossCheck).
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
		case t.gone:
			t.conclude(request.OutcomeAlreadyDeleted, "status "+goneStatus(t.kind)+": already deleted", nil)
		case t.kind == request.KindAutoScaling && t.name == appRunnerDefault:
			t.conclude(request.OutcomeProtected, "App Runner's own auto scaling configuration ("+appRunnerDefault+"), which services get when they name none: never deleted", nil)
		case t.isDefault:
			t.conclude(request.OutcomeProtected, "the account's default auto scaling configuration (IsDefault), which new services get: never deleted", nil)
		case cfg.nameVerdict(t.name) != "":
			t.conclude(request.OutcomeProtected, cfg.nameVerdict(t.name), nil)
		case !t.named && t.createdAt == nil:
			t.conclude(request.OutcomeTooYoung, "creation time unknown: kept until its age can be told", nil)
		case !t.named && young:
			t.conclude(request.OutcomeTooYoung, fmt.Sprintf("created %s ago, less than the minimum age %s",
				now.Sub(*t.createdAt).Round(time.Second), cfg.MinAge), nil)
		case idxErr != nil:
			t.conclude(request.OutcomeFailed, failedReason(idxErr, "usage index: "+errText(idxErr)), nil)
		case len(idx.usersOf(t.arn)) > 0:
			users := idx.usersOf(t.arn)
			t.conclude(request.OutcomeInUse, usedByReason(users), users)
			// Used again: a mark from when it was free must not count
			// when it is free next. Only a real requester that waits
			// writes marks, so only one removes them.
			t.unmark = (t.namedForReal && t.namedWaits.real > 0) || (t.sweptForReal && t.sweptWaits.real > 0)
		case t.hasAssociatedService:
			// App Runner knows a user the index did not see (a service
			// created since, or one the index cannot read): it is kept.
			t.conclude(request.OutcomeInUse, "App Runner says a service uses it (HasAssociatedService), though the usage index found none: kept", nil)
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

// goneStatus is the status in which App Runner keeps a deleted resource of
// kind k for a while.
func goneStatus(k request.Kind) string {
	if k == request.KindConnection {
		return "DELETED"
	}
	return "INACTIVE"
}
