package cleanup

import (
	"context"
	"fmt"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/request"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
)

// markSkew is how far a mark may lie ahead of the engine's clock, or
// before the connection's creation, and still be believed: clocks of
// machines that write marks differ by a little, never by more.
const markSkew = time.Minute

// waiting applies a free candidate's idle period (t.wait), with its tags
// read. It concludes the candidate marked, and reports true, while the
// period runs: unmarked, it is marked now (in a dry run, it would be); a
// mark this function did not write (not a time, in the future, before the
// connection was created) is not believed, and the connection is marked
// again now. It reports false, and notes since when the connection has
// been unused, once the period is over.
func (r *run) waiting(ctx context.Context, t *target, tags map[string]string) bool {
	if t.wait == 0 {
		return false
	}
	now := r.e.cfg.Now().UTC().Truncate(time.Second)
	since, distrust := readMark(t, tags, now)
	if !since.IsZero() {
		if unused := now.Sub(since); unused >= t.wait {
			t.idleNote = fmt.Sprintf("; unused since %s (%s, idle period %s)", since.Format(time.RFC3339), roundAge(unused), t.wait)
			return false
		}
		until := since.Add(t.wait)
		t.conclude(request.OutcomeMarked, fmt.Sprintf("free, and unused since %s: it may be deleted from %s (%s left) if it stays unused",
			since.Format(time.RFC3339), until.Format(time.RFC3339), roundAge(until.Sub(now))), nil)
		return true
	}
	if t.createdAt != nil && t.createdAt.After(now.Add(markSkew)) {
		// App Runner's clock puts its creation ahead of this one's: a
		// mark written now would be before it, and never believed.
		t.conclude(request.OutcomeTooYoung, fmt.Sprintf("created %s, after this function's clock (%s): its idle period cannot start before that; clocks disagree",
			t.createdAt.UTC().Format(time.RFC3339), now.Format(time.RFC3339)), nil)
		return true
	}
	prefix := ""
	if distrust != "" {
		prefix = distrust + ", so it is not believed: "
	}
	until := now.Add(t.wait).Format(time.RFC3339)
	if t.dryRun {
		t.conclude(request.OutcomeMarked, fmt.Sprintf("%s%s: "+request.NotMarkedYet+"; a real run would mark it unused since now, to be deleted from %s if it stays unused (idle period %s)",
			prefix, r.dryRunWhy(), until, t.wait), nil)
		return true
	}
	if ctx.Err() != nil {
		t.conclude(request.OutcomeFailed, stopReason(ctx.Err()), nil)
		return true
	}
	_, err := r.api.TagResource(ctx, &apprunner.TagResourceInput{
		ResourceArn: aws.String(t.arn),
		Tags:        []types.Tag{{Key: aws.String(MarkTagKey), Value: aws.String(now.Format(time.RFC3339))}},
	})
	switch {
	case err == nil:
		t.conclude(request.OutcomeMarked, fmt.Sprintf("%sfree: marked %s=%s; it may be deleted from %s if it stays unused (idle period %s)",
			prefix, MarkTagKey, now.Format(time.RFC3339), until, t.wait), nil)
	case classify(err) == errNotFound:
		t.conclude(request.OutcomeAlreadyDeleted, "not found when marking: already deleted", nil)
	default:
		t.conclude(request.OutcomeFailed, failedReason(err, "mark unused: "+errText(err)), nil)
	}
	return true
}

// readMark returns the time a connection's mark says it was first found
// free, or, when the mark is not to be believed, the zero time and why.
// No mark is the zero time and "".
func readMark(t *target, tags map[string]string, now time.Time) (since time.Time, distrust string) {
	v, ok := tags[MarkTagKey]
	if !ok {
		return time.Time{}, ""
	}
	mark := fmt.Sprintf("its mark %s=%q", MarkTagKey, request.Excerpt(v, 40))
	at, err := time.Parse(time.RFC3339, v)
	switch {
	case err != nil:
		return time.Time{}, mark + " is not an RFC 3339 time"
	case at.After(now.Add(markSkew)):
		return time.Time{}, mark + " is in the future"
	case t.createdAt != nil && at.Before(t.createdAt.Add(-markSkew)):
		return time.Time{}, fmt.Sprintf("%s is before it was created (%s)", mark, t.createdAt.UTC().Format(time.RFC3339))
	}
	return at.UTC(), ""
}

// unmarkUsed removes the mark of a connection in use again, so that its
// idle period starts afresh the next time it is free. It stays in_use; a
// mark that cannot be read or removed fails it, to be retried, since the
// old mark would otherwise shorten the next idle period.
func (r *run) unmarkUsed(ctx context.Context, t *target) {
	used := *t.result
	fail := func(err error, what string) {
		t.conclude(request.OutcomeFailed, failedReason(err, fmt.Sprintf("%s; %s its unused mark: %s", used.Reason, what, errText(err))), used.UsedBy)
	}
	if ctx.Err() != nil {
		fail(ctx.Err(), "could not check")
		return
	}
	tags, err := r.readTags(ctx, t.arn)
	if err != nil {
		if classify(err) != errNotFound {
			fail(err, "could not check")
		}
		return
	}
	mark, marked := tags[MarkTagKey]
	if !marked {
		return
	}
	_, err = r.api.UntagResource(ctx, &apprunner.UntagResourceInput{ResourceArn: aws.String(t.arn), TagKeys: []string{MarkTagKey}})
	if err != nil && classify(err) != errNotFound {
		fail(err, "could not remove")
		return
	}
	t.conclude(request.OutcomeInUse, fmt.Sprintf("%s; its unused mark (%s) removed: the idle period starts again when it is next free",
		used.Reason, request.Excerpt(mark, 40)), used.UsedBy)
}

// roundAge is a duration as a reason shows it: to the second, or the
// minute past a day.
func roundAge(d time.Duration) time.Duration {
	if d >= 24*time.Hour {
		return d.Round(time.Minute)
	}
	return d.Round(time.Second)
}
