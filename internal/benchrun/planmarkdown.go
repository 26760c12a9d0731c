package benchrun

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// writePlan writes the organization plan's section of the results.
func (r *Results) writePlan(p func(format string, args ...any)) {
	pr := r.Plan
	o, bd := pr.Options, pr.Bound
	pop := o.Population
	leaves := o.Shape.Leaves()

	p("## Organization plan")
	p("")
	p("The function, built as above, plans a dry-run offboarding of every account below one OU, once")
	p("as a command (the event on its standard input):")
	p("")
	p("```json")
	p("%s", PlanEvent(o.Regions))
	p("```")
	p("")
	p("against the emulator, which also holds an AWS organization and the function's cleanup queue.")
	p("**Every call takes %s, with no jitter**: the emulator adds it to App Runner's and", exact(o.Latency))
	p("Organizations' calls, and the harness, in front of the emulator, to STS's and SQS's (which the")
	p("emulator answers at once). The function runs with `OFFBOARD_OU_ID=%s` (an offboarding reaches", TopOUID)
	p("only the offboarding OU), `CLEANUP_QUEUE_URL` (its own queue, in the emulator), `MEMBER_ROLE_NAME=%s`,", MemberRole)
	p("`AWS_ENDPOINT_URL_ORGANIZATIONS` and `AWS_ENDPOINT_URL_SQS` pointing at the emulator,")
	p("`MAX_CONCURRENCY=%d` and `DRY_RUN=true`.", o.Concurrency)
	p("")
	p("The organization is generated in code (`internal/benchrun/planseed.go`): **%s member accounts**",
		thousands(o.Shape.Accounts))
	p("below the top OU `%s` (under the root `%s`), %s;", TopOUID, OrgRootID, fanoutWords(o.Shape.Fanout))
	p("%s.", spreadWords(o.Shape, leaves, bd.OUs))
	p("The function's own account is the management account, at the root, outside the plan; STS")
	p("grants the member role in every account of the organization (the emulator's")
	p("`AssumableRoleNames`). **Every member account holds")
	p("App Runner resources in each of the %d regions**: %d connections and %d services laid out as the",
		len(o.Regions), pop.Connections, pop.Services)
	p("sweeps' seed (%d connections in use, %d free), %s resources in all; building and loading the",
		pop.InUse, pop.Free, thousands(o.Shape.Accounts*len(o.Regions)*(pop.Connections+pop.Services)))
	p("seed took %s.", duration(pr.Seeding))
	p("")

	p("### Planning")
	p("")
	p("| accounts × regions | work items | planning | lower bound | planning ÷ bound | this planner's least | planning ÷ it | Organizations calls | SQS calls | calls in the bound | process | peak RSS |")
	p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	p("| %s × %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |",
		thousands(o.Shape.Accounts), len(o.Regions), thousands(pr.WorkItems),
		duration(pr.Planning), duration(bd.Wall), ratio(pr.Planning, bd.Wall),
		duration(bd.SequentialWall), ratio(pr.Planning, bd.SequentialWall),
		thousands(callsWithPrefix(pr.PlanCalls, "organizations:")), thousands(callsWithPrefix(pr.PlanCalls, "sqs:")),
		thousands(bd.TotalCalls()), duration(pr.PlanProcess), megabytes(pr.PlanPeakRSS))
	p("")
	p("- **planning**: from the first Organizations call's arrival to the last SendMessageBatch's")
	p("  answer, as the harness in front of the emulator saw them. The function answered with a plan")
	p("  summary of %s work items over %s accounts, nothing refused, and the queue then held exactly",
		thousands(pr.WorkItems), thousands(pr.Accounts))
	p("  one dry-run offboarding work item per account and region, of one plan (%s): both are", thousands(pr.Queued))
	p("  checked.")
	p("- **lower bound**: the least time any planner could take, its listings unbounded and its")
	p("  SendMessageBatch calls 4 at a time; **this planner's least**: the function's own sequence of")
	p("  calls (`internal/org`: one listing call at a time, then the sends, 4 at a time), each taking")
	p("  %s (below).", exact(o.Latency))
	p("- **process**: the `bootstrap` process from start to exit: the planning plus the process start,")
	p("  the AWS configuration, STS GetCallerIdentity and writing the response. **peak RSS** as above.")
	p("")
	p("Calls by operation (emulator / bound): %s; besides them %s.", planByOperation(pr.PlanCalls, bd.Calls), nonZero(pr.OtherPlanCalls))
	p("")
	p("```")
	p("%s", PlanFormula)
	p("```")
	p("")
	p("Here: %s.", bd.Explain())
	p("")

	p("### Work items")
	p("")
	first := pr.Batches[0]
	p("The first %d of the queue's %s work items (oldest first, as the planner's concurrent", o.Sample, thousands(pr.Queued))
	p("SendMessageBatch calls left them) run as %s of %d (the template's BatchSize), made as the demo",
		batches(len(pr.Batches), "SQS batch"), EventSourceBatch)
	p("relays them (`apprunnerlocal.LambdaSQSEvent`), one after the other in **one execution")
	p("environment** under the Lambda Runtime Interface Emulator, as one of the event source's concurrent")
	p("invocations runs them. Each work item is run only because SQS says the function's own role sent")
	p("it (`SenderId`) and AWS Organizations says, when it runs, that its account is still below the")
	p("offboarding OU (one ListParents per account of a batch; the parents of the OUs above it a warm")
	p("function keeps); it then assumes the member role and sweeps its account and region;")
	p("every work item is checked to have decided what its seed implies (%d `in_use`, %d `would_delete`).", pop.InUse, pop.Free)
	p("")
	p("| batch | work items | invocation | REPORT Duration | invocation per work item | Organizations calls | AssumeRole | App Runner calls |")
	p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for i, b := range pr.Batches {
		name := fmt.Sprint(i + 1)
		if i == 0 {
			name += " (cold)"
		}
		p("| %s | %d | %s | %s | %s | %s | %s | %s |", name, b.Items, duration(b.Invoke), duration(b.Duration), duration(perItem(b.Invoke, b.Items)),
			thousands(b.OrgCalls()), thousands(b.Calls["sts:AssumeRole"]), thousands(b.AppRunnerCalls()))
	}
	p("")
	p("- **invocation**: from sending the SQS event to the runtime interface emulator to its response,")
	p("  as the event source would wait for it; **REPORT Duration** is the emulator's own")
	p("  `REPORT … Duration`. The first invocation includes starting the function (its INIT: the AWS")
	p("  configuration, STS GetCallerIdentity) and its cold caches: it asked ListParents %s times, for",
		thousands(first.Calls["organizations:ListParents"]))
	p("  the OUs above each account too, which a warm function keeps (%s in each later batch).",
		thousands(pr.Batches[len(pr.Batches)-1].Calls["organizations:ListParents"]))
	p("- How many AssumeRole calls a batch makes depends on where its ten work items fall: the planner")
	p("  sends an account's regions one after the other, so a batch holds parts of a few accounts; the")
	p("  regions of one account share the member role's credentials within an execution environment,")
	p("  also across its batches.")
	p("- **T_1 = %s** (the first invocation), **T_b = %s** (the median of the %s after it): **%s a work",
		duration(pr.First), duration(pr.Batch), batches(len(pr.Batches)-1, "batch"), duration(perItem(pr.Batch, EventSourceBatch)))
	p("  item**, %d at a time. The dispatcher's schedule of a warm batch, every call taking %s:", ScopeParallelism, exact(o.Latency))
	p("")
	p("```")
	p("%s", BatchFormula)
	p("```")
	p("")
	s := pr.Schedule
	p("  here a = 1 + ⌈%d/%d⌉ = %d, s = %d (the sweep of %d connections and %d services: %s), so ⌈%d/%d⌉ + %d · (1 + %d) = %d steps",
		s.Items-1, s.Regions, s.Accounts, s.Sweep.Steps, pop.Connections, pop.Services, s.Sweep.Explain(),
		s.Accounts, ScopeParallelism, s.Waves, s.Sweep.Steps, s.Steps)
	p("  = %s; T_b is %s× it. The schedule counts one AssumeRole step in every wave of scopes; batches", duration(s.Wall), ratio(pr.Batch, s.Wall))
	p("  that make fewer, or whose scopes with cached credentials end a step early and let the next")
	p("  start, can end sooner.")
	p("")

	p("### Projected wall time of the whole plan")
	p("")
	p("| M (MaximumConcurrency) | batches | waves | work items, all M at once | with Lambda's ramp | whole plan (planning + ramp) | Organizations calls a second |")
	p("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	perItemOrg := pr.orgCallsPerItem()
	for _, pj := range pr.Projections {
		rate := "–"
		if pj.Ramped > 0 {
			rate = fmt.Sprintf("%.0f", perItemOrg*float64(pj.WorkItems)/pj.Ramped.Seconds())
		}
		p("| %d | %s | %s | %s | %s | %s | %s |", pj.MaxConcurrency, thousands(pj.Batches), thousands(pj.Waves),
			duration(pj.Wall), duration(pj.Ramped), duration(pr.Planning+pj.Ramped), rate)
	}
	p("")
	p("```")
	p("%s", ProjectionFormula)
	p("```")
	p("")
	p("Here, all M at once:")
	p("")
	for _, pj := range pr.Projections {
		ramp := "the ramp adds nothing: M is within the first five"
		if pj.RampedUp > 0 {
			ramp = fmt.Sprintf("with the ramp, invocation %d may start at %s", pj.MaxConcurrency, duration(pj.RampedUp))
		}
		p("- M = %d: %s; %s.", pj.MaxConcurrency, pj.Explain(), ramp)
	}
	p("")
	p("**Organizations calls a second** is what the work items would ask of AWS Organizations over the")
	p("ramped time: %.2f calls a work item (the warm batches' ListParents) × %s",
		perItemOrg, thousands(pr.WorkItems))
	p("work items. The projection leaves out what would slow it: throttling (Organizations' request")
	p("quotas, which that rate must stay under: the run below shows the plan under them, and App")
	p("Runner's, which are per account and region and so spread over the plan's scopes), retries, a")
	p("ReservedConcurrency below M (the template asks for at")
	p("least MaxConcurrentWorkItems), and real latencies, which differ by API. The event source's")
	p("batching window (MaximumBatchingWindowInSeconds 5) does not wait while ten messages are there.")
	p("And the whole plan adds the planning and the work items, although the event source starts on")
	p("the first work items while the planner still sends: that overstates it by at most the sends'")
	p("⌈B_s/4⌉ · L = %s.", duration(time.Duration(ceilDiv(bd.Batches, SendParallelism))*o.Latency))
	p("")
	if pr.Throttled != nil {
		pr.writeThrottled(p)
	}
	p("This section took %s of the run: seeding, planning, the sample and the throttled run (the build is shared).", duration(r.PlanElapsed))
	p("")
}

func planByOperation(got, bound map[string]int) string {
	parts := make([]string, 0, len(PlanOperations))
	for _, op := range PlanOperations {
		parts = append(parts, fmt.Sprintf("%s %s / %s", strings.TrimPrefix(strings.TrimPrefix(op, "organizations:"), "sqs:"), thousands(got[op]), thousands(bound[op])))
	}
	for op, n := range got {
		if bound[op] == 0 && n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s / 0", op, thousands(n)))
		}
	}
	return strings.Join(parts, ", ")
}

func perItem(d time.Duration, items int) time.Duration {
	if items < 1 {
		return 0
	}
	return d / time.Duration(items)
}

// batches is "1 batch", "3 batches".
func batches(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ses", n, what)
}

// fanoutWords says how the OUs nest below the top OU.
func fanoutWords(fanout []int) string {
	if len(fanout) == 0 {
		return "which holds no OUs"
	}
	parts := make([]string, len(fanout))
	for i, f := range fanout {
		parts[i] = plural(f, "OU")
	}
	return "which holds " + strings.Join(parts, " of ") + " each"
}

// spreadWords says how the accounts are spread.
func spreadWords(s OrgShape, leaves, ous int) string {
	per := fmt.Sprint(s.Accounts / leaves)
	if s.Accounts%leaves != 0 {
		per = fmt.Sprintf("%d or %d", s.Accounts/leaves, s.Accounts/leaves+1)
	}
	if len(s.Fanout) == 0 {
		return "all of them in the top OU itself"
	}
	return fmt.Sprintf("the accounts are spread evenly over the %s of the last level (%s each): %s in all", plural(leaves, "OU"), per, plural(ous, "OU"))
}

// writeThrottled writes the run of every work item under Organizations'
// throttle.
func (pr *PlanResult) writeThrottled(p func(format string, args ...any)) {
	t := pr.Throttled
	lim := t.Options.Limit
	p("### The whole plan under Organizations' throttle")
	p("")
	p("Then **every one of the %s work items** runs, as the event source would run them with", thousands(t.WorkItems))
	p("MaximumConcurrency %d: %d execution environments under the runtime interface emulator, each", t.Options.Environments, t.Options.Environments)
	p("taking the next batch of %d when it is free, while the emulator holds **all Organizations calls", EventSourceBatch)
	p("together to %g a second** (one token bucket of %d for every operation; past it,", lim.PerSecond, lim.Burst)
	p("`TooManyRequestsException`, as Organizations answers). A work item the function reports as a batch item")
	p("failure is delivered again in a later batch, as SQS would after its visibility timeout, up to")
	p("%d times (the template's MaxReceiveCount); every other work item must have decided what its seed", MaxReceives)
	p("implies.")
	p("")
	p("| work items | environments | Organizations | wall | Organizations calls | a work item | throttled | floor | wall ÷ floor | batches | redelivered | to the DLQ |")
	p("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	p("| %s | %d | %g/s | %s | %s | %.2f | %s | %s | %s | %s | %s | %s |", thousands(t.WorkItems), t.Options.Environments, lim.PerSecond,
		duration(t.Wall), thousands(sumValues(t.OrgCalls)), t.OrgCallsPerItem(), thousands(sumValues(t.Throttled)),
		duration(t.Floor()), ratio(t.Wall, t.Floor()), thousands(t.Batches), thousands(t.Redelivered), thousands(t.Dead))
	p("")
	p("- **Organizations calls**: answered, by operation: %s; **throttled**: refused with", nonZero(t.OrgCalls))
	p("  `TooManyRequestsException` and retried by the SDK's adaptive retryer (%s).", orNone(nonZero(t.Throttled)))
	p("- **floor**: the least time the bucket lets the answered calls take, the first %d at once and", lim.Burst)
	p("  the others at %g a second: the plan is as fast as Organizations lets any client be once", lim.PerSecond)
	p("  its calls exceed what the work items' own time hides.")
	p("- **redelivered**: work items reported as batch item failures at least once and run again;")
	p("  **to the DLQ**: those still failing after %d deliveries. The failed decisions said: %s.", MaxReceives, topReasons(t.FailureReasons, 3))
	p("- An account's work items ask Organizations once per invocation that holds any of them: a")
	p("  batch of %d consecutive work items of %d regions touches up to %d accounts, so an account split", EventSourceBatch, len(pr.Options.Regions), pr.Schedule.Accounts)
	p("  over two batches is asked twice. Nothing is cached across invocations: whether an account is")
	p("  still below the offboarding OU is asked afresh when its work items run.")
	p("")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// topReasons quotes the n most frequent reasons with their counts.
func topReasons(reasons map[string]int, n int) string {
	if len(reasons) == 0 {
		return "nothing (none failed)"
	}
	keys := slices.SortedFunc(maps.Keys(reasons), func(a, b string) int {
		if c := cmp.Compare(reasons[b], reasons[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	parts := make([]string, 0, n)
	for _, k := range keys[:min(n, len(keys))] {
		parts = append(parts, fmt.Sprintf("%d × “%s”", reasons[k], k))
	}
	if len(keys) > n {
		parts = append(parts, fmt.Sprintf("%d other reasons", len(keys)-n))
	}
	return strings.Join(parts, "; ")
}
