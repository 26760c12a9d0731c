package report

import (
	"context"
	"log/slog"
	"maps"
	"slices"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// needsAttention reports whether an outcome means someone should look:
// bad input that went to the dead-letter queue, or work that kept failing.
func needsAttention(o request.Outcome) bool {
	return o == request.OutcomeFailed || o == request.OutcomeInvalid
}

// logDecisions writes one line per result. Outcomes that need attention
// are logged at WARN so that they survive a log level raised to WARN.
func (p *Publisher) logDecisions(ctx context.Context, trigger string, rep *request.Report) {
	for _, r := range rep.Results {
		level := slog.LevelInfo
		if needsAttention(r.Outcome) {
			level = slog.LevelWarn
		}
		if !p.logger.Enabled(ctx, level) {
			continue
		}
		usedBy := make([]string, 0, len(r.UsedBy))
		for _, s := range r.UsedBy {
			usedBy = append(usedBy, s.ServiceARN)
		}
		attrs := []slog.Attr{
			slog.String("resourceType", string(r.ResourceType)),
			slog.String("resourceArn", r.ARN),
			slog.String("resourceName", r.Name),
			slog.String("outcome", string(r.Outcome)),
			slog.String("reason", r.Reason),
			slog.Any("usedBy", usedBy),
			slog.String("trigger", trigger),
			slog.String("action", string(rep.Action)),
			slog.Bool("dryRun", rep.DryRun),
		}
		if r.PlanID != "" {
			attrs = append(attrs, slog.String("planId", r.PlanID))
		}
		if len(r.RequestIDs) > 0 {
			// The IDs of the inputs (SQS message IDs...) that asked about
			// this connection, to trace a message to its decision, and who
			// sent them.
			attrs = append(attrs, slog.Any("inputIds", r.RequestIDs))
		}
		attrs = append(attrs, slog.Any("requestedBy", requestedBy(rep, r.RequestIDs)))
		p.logger.LogAttrs(ctx, level, "decision", attrs...)
	}
}

// logSummary writes the invocation's summary line, at WARN when any
// decision needs attention.
func (p *Publisher) logSummary(ctx context.Context, trigger string, rep *request.Report, coldStart bool) {
	level := slog.LevelInfo
	for o, n := range rep.Counts {
		if n > 0 && needsAttention(o) {
			level = slog.LevelWarn
		}
	}
	outcomes := make(map[string]int, len(request.Outcomes()))
	for _, o := range request.Outcomes() {
		outcomes[string(o)] = rep.Counts[o]
	}
	apiCalls := make(map[string]int, len(rep.APICalls))
	maps.Copy(apiCalls, rep.APICalls)
	p.logger.LogAttrs(ctx, level, "invocation summary",
		slog.String("trigger", trigger),
		slog.String("action", string(rep.Action)),
		slog.Bool("dryRun", rep.DryRun),
		slog.Int("connections", len(rep.Results)),
		slog.Any("counts", outcomes),
		slog.Any("apiCalls", apiCalls),
		slog.Int("apiCallsTotal", totalCalls(rep.APICalls)),
		slog.Int("apiRetries", rep.APIRetries),
		slog.Float64("durationMs", milliseconds(rep)),
		slog.Bool("coldStart", coldStart),
		slog.Any("requestedBy", requestedBy(rep, slices.Sorted(maps.Keys(rep.Origins)))),
	)
}

// requestedBy lists, once each, who sent the requests ids, as their
// envelopes say.
func requestedBy(rep *request.Report, ids []string) []request.Origin {
	out := []request.Origin{}
	for _, id := range ids {
		o, ok := rep.Origins[id]
		if ok && !slices.ContainsFunc(out, func(p request.Origin) bool { return sameOrigin(p, o) }) {
			out = append(out, o)
		}
	}
	return out
}

func sameOrigin(a, b request.Origin) bool {
	return a.Trigger == b.Trigger && a.Principal == b.Principal && a.Queue == b.Queue &&
		a.Source == b.Source && a.EventID == b.EventID && slices.Equal(a.Resources, b.Resources)
}

func totalCalls(calls map[string]int) int {
	total := 0
	for _, n := range calls {
		total += n
	}
	return total
}

// milliseconds is the run's duration in milliseconds, to the microsecond.
func milliseconds(rep *request.Report) float64 {
	return float64(rep.Duration.Microseconds()) / 1000
}

// logWorkItems writes one line per work item of a plan the invocation ran,
// with what it decided: what the stack's plan-progress query reads.
func (p *Publisher) logWorkItems(ctx context.Context, trigger string, rep *request.Report) {
	for _, w := range rep.WorkItems {
		counts := make(map[string]int, len(w.Counts))
		for o, n := range w.Counts {
			counts[string(o)] = n
		}
		p.logger.LogAttrs(ctx, slog.LevelInfo, "work item summary",
			slog.String("trigger", trigger),
			slog.String("planId", w.PlanID),
			slog.String("account", w.Account),
			slog.String("region", w.Region),
			slog.Any("counts", counts),
			slog.Any("requestedBy", requestedBy(rep, []string{w.RequestID})),
		)
	}
}

// logPlans writes one line per plan the invocation made, at WARN when it
// refused an account or could not be sent in full.
func (p *Publisher) logPlans(ctx context.Context, trigger string, rep *request.Report) {
	for _, plan := range rep.Plans {
		level := slog.LevelInfo
		if plan.Error != "" || len(plan.Refused) > 0 {
			level = slog.LevelWarn
		}
		attrs := []slog.Attr{
			slog.String("trigger", trigger),
			slog.String("planId", plan.PlanID),
			slog.String("action", string(plan.Action)),
			slog.Bool("dryRun", plan.DryRun),
			slog.Int("accounts", len(plan.Accounts)),
			slog.Any("regions", plan.Regions),
			slog.Int("workItems", plan.WorkItems),
			slog.Any("refused", plan.Refused),
			slog.Any("requestedBy", requestedBy(rep, []string{plan.RequestID})),
		}
		if plan.Progress != "" {
			attrs = append(attrs, slog.String("progress", plan.Progress))
		}
		if plan.Error != "" {
			attrs = append(attrs, slog.String("error", plan.Error))
		}
		p.logger.LogAttrs(ctx, level, "plan summary", attrs...)
	}
}
