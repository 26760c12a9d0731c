package cleanup_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

const week = 7 * 24 * time.Hour

// idleWorld is an emulator and an engine that share one clock, which the
// test moves instead of waiting.
type idleWorld struct {
	*world
	clock *apprunnerlocal.Clock
}

func newIdleWorld(t *testing.T) *idleWorld {
	t.Helper()
	clock := apprunnerlocal.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	return &idleWorld{world: newWorld(t, apprunnerlocal.Options{Now: clock.Now}, 3), clock: clock}
}

func (w *idleWorld) idleEngine(unusedFor time.Duration) *cleanup.Engine {
	w.t.Helper()
	return w.engine(cleanup.Config{UnusedFor: unusedFor, Now: w.clock.Now})
}

// mark is the connection's idle mark, "" if it has none.
func (w *idleWorld) mark(arn string) string {
	w.t.Helper()
	c, ok := w.srv.Connection(arn)
	if !ok {
		w.t.Fatalf("no connection %s", arn)
	}
	return c.Tags[cleanup.MarkTagKey]
}

func outcomes(t *testing.T, rep *request.Report) map[string]request.Outcome {
	t.Helper()
	m := map[string]request.Outcome{}
	for arn, r := range byARN(t, rep) {
		m[arn] = r.Outcome
	}
	return m
}

// TestIdlePeriodMarksThenDeletesWhatStayedFree walks the idle period
// through: a dry run writes no tag; the first real sweep deletes nothing
// and marks every free connection; one used again before the period ends
// is unmarked and kept; after the period, a sweep deletes exactly the
// connections still marked and free, and marks the newly free one.
func TestIdlePeriodMarksThenDeletesWhatStayedFree(t *testing.T) {
	w := newIdleWorld(t)
	stays := w.conn(apprunnerlocal.SeedConnection{Name: "stays-free"})
	reused := w.conn(apprunnerlocal.SeedConnection{Name: "reused"})
	used := w.conn(apprunnerlocal.SeedConnection{Name: "always-used"})
	w.service("web-app", apprunnerlocal.ServiceRunning, used)
	e := w.idleEngine(week)

	dry := runRequests(ctx(t), t, e, []request.RawRequest{{ID: "dry", Action: request.ActionSweep, DryRun: true}})
	for _, arn := range []string{stays, reused} {
		if r := byARN(t, dry)[arn]; r.Outcome != request.OutcomeMarked || !strings.Contains(r.Reason, "no tag written") {
			t.Errorf("dry run: %s is %s (%s), want marked, no tag written", arn, r.Outcome, r.Reason)
		}
		if m := w.mark(arn); m != "" {
			t.Errorf("dry run wrote the mark %q on %s", m, arn)
		}
	}
	if got := w.srv.Stats().Calls["TagResource"]; got != 0 {
		t.Errorf("dry run made %d TagResource calls", got)
	}

	first := runRequests(ctx(t), t, e, sweep())
	start := w.clock.Now().UTC().Format(time.RFC3339)
	want := map[string]request.Outcome{stays: request.OutcomeMarked, reused: request.OutcomeMarked, used: request.OutcomeInUse}
	if diff := cmpOutcomes(want, outcomes(t, first)); diff != "" {
		t.Errorf("first sweep (-want +got):\n%s", diff)
	}
	for _, arn := range []string{stays, reused} {
		if m := w.mark(arn); m != start {
			t.Errorf("%s marked %q, want %q", arn, m, start)
		}
	}
	if m := w.mark(used); m != "" {
		t.Errorf("the connection in use got the mark %q", m)
	}

	// Three days on, a redeploy uses "reused" again.
	w.clock.Advance(3 * 24 * time.Hour)
	svc := w.service("preview", apprunnerlocal.ServiceRunning, reused)
	mid := runRequests(ctx(t), t, e, sweep())
	if r := byARN(t, mid)[reused]; r.Outcome != request.OutcomeInUse || !strings.Contains(r.Reason, "unused mark") {
		t.Errorf("reused: %s (%s), want in_use with its mark removed", r.Outcome, r.Reason)
	}
	if m := w.mark(reused); m != "" {
		t.Errorf("reused keeps the mark %q after being used again", m)
	}
	if r := byARN(t, mid)[stays]; r.Outcome != request.OutcomeMarked || !strings.Contains(r.Reason, "96h0m0s left") {
		t.Errorf("stays-free: %s (%s), want marked with 96h left", r.Outcome, r.Reason)
	}

	// The preview goes away again; a week after the first mark, only the
	// connection that stayed free all along may go.
	if _, err := w.client.DeleteService(ctx(t), &apprunner.DeleteServiceInput{ServiceArn: aws.String(svc)}); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(4 * 24 * time.Hour)
	last := runRequests(ctx(t), t, e, sweep())
	want = map[string]request.Outcome{stays: request.OutcomeDeleted, reused: request.OutcomeMarked, used: request.OutcomeInUse}
	if diff := cmpOutcomes(want, outcomes(t, last)); diff != "" {
		t.Errorf("sweep after the period (-want +got):\n%s", diff)
	}
	if r := byARN(t, last)[stays]; !strings.Contains(r.Reason, "unused since "+start) {
		t.Errorf("deleted with reason %q, want it to say since when it was unused", r.Reason)
	}
	if w.exists(stays) || !w.exists(reused) || !w.exists(used) {
		t.Errorf("after the period: stays-free exists %v, reused %v, always-used %v; want only stays-free gone", w.exists(stays), w.exists(reused), w.exists(used))
	}
	if m := w.mark(reused); m != w.clock.Now().UTC().Format(time.RFC3339) {
		t.Errorf("reused, free again, marked %q; want marked afresh now", m)
	}
}

func cmpOutcomes(want, got map[string]request.Outcome) string {
	var b strings.Builder
	for arn, o := range want {
		if got[arn] != o {
			b.WriteString("  " + arn + ": -" + string(o) + " +" + string(got[arn]) + "\n")
		}
	}
	for arn, o := range got {
		if _, ok := want[arn]; !ok {
			b.WriteString("  " + arn + ": +" + string(o) + "\n")
		}
	}
	return b.String()
}

// TestAMarkThisFunctionDidNotWriteIsNotObeyed: a mark that is not a time,
// lies in the future, or predates the connection is replaced by a mark of
// now, and the connection is kept; a mark of a past time that could be
// true is obeyed.
func TestAMarkThisFunctionDidNotWriteIsNotObeyed(t *testing.T) {
	w := newIdleWorld(t)
	now := w.clock.Now()
	created := now.Add(-30 * 24 * time.Hour)
	forged := map[string]string{
		"garbage":         "whenever",
		"future":          now.Add(24 * time.Hour).Format(time.RFC3339),
		"before-creation": created.Add(-week).Format(time.RFC3339),
	}
	arns := map[string]string{}
	for name, v := range forged {
		arns[name] = w.conn(apprunnerlocal.SeedConnection{Name: name, CreatedAt: created, Tags: map[string]string{cleanup.MarkTagKey: v}})
	}
	honest := w.conn(apprunnerlocal.SeedConnection{Name: "honest", CreatedAt: created, Tags: map[string]string{cleanup.MarkTagKey: now.Add(-8 * 24 * time.Hour).Format(time.RFC3339)}})

	rep := runRequests(ctx(t), t, w.idleEngine(week), sweep())
	for name, arn := range arns {
		r := byARN(t, rep)[arn]
		if r.Outcome != request.OutcomeMarked || !strings.Contains(r.Reason, "not believed") {
			t.Errorf("%s: %s (%s), want marked again, the old mark not believed", name, r.Outcome, r.Reason)
		}
		if !w.exists(arn) {
			t.Errorf("%s deleted on a forged mark", name)
		}
		if m := w.mark(arn); m != now.UTC().Format(time.RFC3339) {
			t.Errorf("%s: mark %q, want now", name, m)
		}
	}
	if r := byARN(t, rep)[honest]; r.Outcome != request.OutcomeDeleted {
		t.Errorf("honest mark of 8 days: %s (%s), want deleted", r.Outcome, r.Reason)
	}
}

// TestNamedDeletionsWaitOnlyWhenTheyAsk: a teardown naming a connection
// deletes it at once, whatever the sweeps' idle period; one that asks
// for an idle period marks it; a sweep cannot be made shorter by a
// request; and with the period off, sweeps delete at once.
func TestNamedDeletionsWaitOnlyWhenTheyAsk(t *testing.T) {
	w := newIdleWorld(t)
	now := w.conn(apprunnerlocal.SeedConnection{Name: "teardown-now"})
	later := w.conn(apprunnerlocal.SeedConnection{Name: "teardown-later"})
	e := w.idleEngine(week)

	rep := runRequests(ctx(t), t, e, []request.RawRequest{
		del("now", now),
		{ID: "later", Action: request.ActionDelete, ConnectionARNs: []string{later}, AfterUnusedFor: ptr("1d")},
	})
	if diff := cmpOutcomes(map[string]request.Outcome{now: request.OutcomeDeleted, later: request.OutcomeMarked}, outcomes(t, rep)); diff != "" {
		t.Errorf("named deletions (-want +got):\n%s", diff)
	}
	w.clock.Advance(25 * time.Hour)
	rep = runRequests(ctx(t), t, e, []request.RawRequest{{ID: "shorter", Action: request.ActionSweep, AfterUnusedFor: ptr("1h")}})
	if r := byARN(t, rep)[later]; r.Outcome != request.OutcomeMarked {
		t.Errorf("a sweep asking for 1h after 25h: %s (%s), want marked: the configured week stands", r.Outcome, r.Reason)
	}

	off := w.conn(apprunnerlocal.SeedConnection{Name: "no-period"})
	rep = runRequests(ctx(t), t, w.idleEngine(0), sweep())
	if r := byARN(t, rep)[off]; r.Outcome != request.OutcomeDeleted {
		t.Errorf("with UnusedFor 0: %s (%s), want deleted at once", r.Outcome, r.Reason)
	}
	if got := w.srv.Stats().Calls["TagResource"]; got != 1 {
		t.Errorf("%d TagResource calls, want 1 (the teardown that asked)", got)
	}
}

// TestADryRunRequesterDoesNotShortenARealOnesPeriod: a dry-run teardown
// (no wait) and a real sweep (a week) ask about the same free connection
// at once: the sweep's week stands, so it is marked, not deleted.
func TestADryRunRequesterDoesNotShortenARealOnesPeriod(t *testing.T) {
	w := newIdleWorld(t)
	c := w.conn(apprunnerlocal.SeedConnection{Name: "shared"})
	rep := runRequests(ctx(t), t, w.idleEngine(week), []request.RawRequest{
		{ID: "dry", Action: request.ActionDelete, ConnectionARNs: []string{c}, DryRun: true},
		{ID: "sweep", Action: request.ActionSweep},
	})
	if r := byARN(t, rep)[c]; r.Outcome != request.OutcomeMarked || !w.exists(c) {
		t.Errorf("%s (%s), exists %v; want marked and kept", r.Outcome, r.Reason, w.exists(c))
	}
}
