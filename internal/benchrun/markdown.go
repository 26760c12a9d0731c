package benchrun

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// WriteMarkdown writes the results as the first part of BENCHMARKS.md:
// where and how they were made, the sweeps beside their bounds, INIT,
// peak memory, and the organization plan.
func (r *Results) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	p("# Benchmarks")
	p("")
	rev := ""
	if r.Revision != "" {
		rev = fmt.Sprintf(" of revision `%s`", r.Revision)
	}
	p("Written on %s%s by:", r.Date.Format("2006-01-02"), rev)
	p("")
	p("```sh")
	p("%s", r.Command)
	p("```")
	p("")
	p("| machine | |")
	p("| --- | --- |")
	p("| CPU | %s |", r.Machine.CPU)
	p("| cores | %d |", r.Machine.Cores)
	p("| Go | %s %s/%s |", r.Machine.Go, r.Machine.OS, r.Machine.Arch)
	p("")
	p("The machines these run on are shared and noisy: compare ratios within one run, not")
	p("absolute times across runs.")
	p("")

	p("## Dry-run sweeps against the API's limit")
	p("")
	p("Each sweep is the cleanup function, built as deployed (`%s`, for this", BuildCommand("./cmd/handler"))
	p("machine's %s/%s, not Lambda's linux/arm64), handling `%s` once as a command", r.Machine.OS, r.Machine.Arch, SweepEvent)
	p("(the event on its standard input) against the App Runner emulator, which this run serves")
	p("on a loopback port the system picks and which adds **%s to every App Runner call, with", exact(r.Latency))
	p("no jitter**. The function runs with its default policy and `MAX_CONCURRENCY=%d`,", r.Concurrency)
	p("`DRY_RUN=true`: minimum age 24h, and the protection tag on, so one ListTagsForResource")
	p("per free connection.")
	p("")
	p("The seed is generated in code (`internal/benchrun/seed.go`): C connections and S")
	p("services, all created two days ago, every service RUNNING; service j < C/2 uses")
	p("connection 2j and the others deploy an image. So **half the connections are in use**")
	p("(`in_use`) and half are free (`would_delete`); each sweep checks that it decided exactly")
	p("that.")
	p("")
	p("| connections | services | free | wall | lower bound | wall ÷ bound | bound, pages in the K slots | App Runner calls (emulator) | `apiCalls` (report) | calls in the bound | process | peak RSS |")
	p("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, s := range r.Sizes {
		m, bd := s.Median, s.Bound
		p("| %s | %s | %s | %s | %s | %s | %s (%s) | %s | %s | %s | %s | %s |",
			thousands(bd.Connections), thousands(bd.Services), thousands(bd.Free),
			duration(m.Run), duration(bd.Wall), ratio(m.Run, bd.Wall), duration(s.SharedBound.Wall), ratio(m.Run, s.SharedBound.Wall),
			thousands(Total(m.EmulatorCalls)), thousands(Total(m.ReportCalls)), thousands(bd.TotalCalls()),
			duration(m.Process), megabytes(m.PeakRSS))
	}
	p("")
	p("- **wall**: the run as the function reports it (`durationMs` of its invocation summary,")
	p("  from the decoded request to the report), the median of %s: %s.", plural(r.Runs, "sweep"), allRuns(r.Sizes))
	p("  Seen from the emulator, from the first App Runner call's arrival to the last one's")
	p("  answer, the median sweeps took %s.", spans(r.Sizes))
	p("- **lower bound**: the least time any engine could take (below); **bound, pages in the K")
	p("  slots**: the same if the page calls also take MAX_CONCURRENCY slots, with the wall time's")
	p("  ratio to it in brackets.")
	p("- **calls**: the emulator's counters (`Server.Stats`, what `/_local/stats` serves) of App")
	p("  Runner operations, and the report's `apiCalls` as the engine counts them. Each process")
	p("  also asks STS GetCallerIdentity once at start; that is not App Runner's and is in no")
	p("  column.")
	p("- **process**: the `bootstrap` process from start to exit: the run plus the process start,")
	p("  the AWS configuration, the STS call and writing the response.")
	p("- **peak RSS**: `ru_maxrss` of the process from `wait4`, what `/usr/bin/time -v` prints as")
	p("  \"Maximum resident set size\".")
	p("")
	p("Calls by operation (emulator / report / bound):")
	p("")
	p("| connections × services | %s |", strings.Join(Operations, " | "))
	p("| --- |%s", strings.Repeat(" ---: |", len(Operations)))
	for _, s := range r.Sizes {
		cells := make([]string, len(Operations))
		for i, op := range Operations {
			cells[i] = fmt.Sprintf("%s / %s / %s", thousands(s.Median.EmulatorCalls[op]), thousands(s.Median.ReportCalls[op]), thousands(s.Bound.Calls[op]))
		}
		p("| %s × %s | %s |", thousands(s.Bound.Connections), thousands(s.Bound.Services), strings.Join(cells, " | "))
	}
	p("")
	p("### The lower bound")
	p("")
	p("The least wall time and calls of a sweep, whatever the engine, when every call takes L")
	p("(`internal/benchrun/bound.go`, a step-by-step simulation with K slots; its test checks it")
	p("against the closed forms):")
	p("")
	p("```")
	p("%s", Formula)
	p("```")
	p("")
	p("A dry-run sweep makes no DeleteConnection, so its bound has the tag look-ups only. Here:")
	p("")
	for _, s := range r.Sizes {
		p("- %s × %s: %s; with the pages in the K slots, index = %d, %s",
			thousands(s.Bound.Connections), thousands(s.Bound.Services), s.Bound.Explain(),
			s.SharedBound.IndexSteps, duration(s.SharedBound.Wall))
	}
	p("")

	if m := r.Marking; m != nil {
		bd, med := m.Bound, m.Median
		p("## The idle period's first sweep: marking")
		p("")
		p("A real sweep (`DRY_RUN=false`, `UNUSED_FOR=168h`) over connections never marked: every")
		p("free one gets its tag look-up, then a TagResource (`apprunner-cleanup:unused-since`), and")
		p("none is deleted; every one in use gets a tag look-up too, for a mark to remove (it is")
		p("used again). Its bound is a real sweep's, the TagResource in the deletion's place, with")
		p("those look-ups added: after the index, at least ⌈(2F + U)/K⌉ steps. Later sweeps within")
		p("the period make the same look-ups and write no tag but for newly free connections.")
		p("")
		p("| connections | services | marked | wall | lower bound | wall ÷ bound | App Runner calls (emulator) | `apiCalls` (report) | calls in the bound | TagResource |")
		p("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |",
			thousands(bd.Connections), thousands(bd.Services), thousands(med.Counts["marked"]),
			duration(med.Run), duration(bd.Wall), ratio(med.Run, bd.Wall),
			thousands(Total(med.EmulatorCalls)), thousands(Total(med.ReportCalls)), thousands(bd.TotalCalls()), thousands(med.EmulatorCalls["TagResource"]))
		p("")
		var runs []time.Duration
		for _, s := range m.Runs {
			runs = append(runs, s.Run)
		}
		lo, hi := minMax(runs)
		p("The median of %s (from %s to %s). Here P_C = %d, P_S = %d, index = %d steps, decisions %d",
			plural(len(m.Runs), "sweep"), duration(lo), duration(hi), bd.ConnectionPages, bd.ServicePages, bd.IndexSteps, bd.DecideSteps)
		p("steps (⌈(2·%d + %d)/%d⌉): %d × %s = %s.", bd.Free, bd.Calls["ListTagsForResource"]-bd.Free, bd.Concurrency, bd.Steps, exact(bd.Latency), duration(bd.Wall))
		p("")
	}

	if a := r.All; a != nil {
		r.writeAll(p, a)
	}

	p("## Start-up (INIT) under the Lambda Runtime Interface Emulator")
	p("")
	p("| function | binary | INIT median | min | max |")
	p("| --- | ---: | ---: | ---: | ---: |")
	for _, c := range []struct {
		cs  ColdStarts
		pkg string
	}{{r.Hello, "./cmd/bench/hello"}, {r.Bootstrap, "./cmd/handler"}} {
		lo, hi := minMax(c.cs.Inits)
		p("| %s (`%s`) | %s | %s | %s | %s |", c.cs.Name, c.pkg, megabytes(c.cs.Size), duration(c.cs.Median()), duration(lo), duration(hi))
	}
	p("")
	p("The cleanup function's median INIT is **%s× the hello world's**. Both were built in this", ratio(r.Bootstrap.Median(), r.Hello.Median()))
	p("run with `%s`, and each was started", BuildCommand("PKG"))
	p("%s, alternating which went first, each time in a new emulator and invoked once; INIT", plural(r.ColdStarts, "time"))
	p("is the emulator's `INIT REPORT(durationMs: …)`. The cleanup function's INIT includes what")
	p("it does once per execution environment: loading the AWS configuration, setting up X-Ray,")
	p("and one STS GetCallerIdentity (to the local emulator, without added latency).")
	p("")

	m, mb := r.Memory, r.MemoryBound
	latency := fmt.Sprintf("adding %s to every call", exact(r.MemoryLatency))
	if r.MemoryLatency == 0 {
		latency = "adding no latency so that it is quick"
	}
	p("## Peak memory of a large sweep")
	p("")
	p("A dry-run sweep of %s connections and %s services (%s free), the emulator %s,",
		thousands(mb.Connections), thousands(mb.Services), thousands(mb.Free), latency)
	p("peaked at **%s resident** (`ru_maxrss` from `wait4`, as above). It took %s (process %s)",
		megabytes(m.PeakRSS), duration(m.Run), duration(m.Process))
	p("and made %s App Runner calls (bound: %s); by operation, emulator / report / bound: %s.",
		thousands(Total(m.EmulatorCalls)), thousands(mb.TotalCalls()), byOperation(m, mb))
	if Total(m.EmulatorCalls) != Total(m.ReportCalls) {
		p("The emulator counts every request it answers, the report as its engine counts. Against")
		p("an emulator that answers at once, the SDK's request-body race")
		p("(`internal/apprunnerlocal/README.md`) makes the function's client send some large")
		p("responses' requests again, which an engine that counts a call once does not see.")
	}
	p("")
	if r.Plan != nil {
		r.writePlan(p)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func byOperation(r SweepResult, b Bound) string {
	var parts []string
	for _, op := range Operations {
		parts = append(parts, fmt.Sprintf("%s %s / %s / %s", op, thousands(r.EmulatorCalls[op]), thousands(r.ReportCalls[op]), thousands(b.Calls[op])))
	}
	return strings.Join(parts, ", ")
}

func allRuns(sizes []SizeResult) string {
	var parts []string
	for _, s := range sizes {
		ds := make([]string, len(s.Runs))
		for i, r := range s.Runs {
			ds[i] = duration(r.Run)
		}
		parts = append(parts, fmt.Sprintf("%s × %s: %s", thousands(s.Bound.Connections), thousands(s.Bound.Services), strings.Join(ds, ", ")))
	}
	return strings.Join(parts, "; ")
}

func spans(sizes []SizeResult) string {
	var parts []string
	for _, s := range sizes {
		parts = append(parts, duration(s.Median.CallSpan))
	}
	return strings.Join(parts, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func minMax(ds []time.Duration) (lo, hi time.Duration) {
	for i, d := range ds {
		if i == 0 || d < lo {
			lo = d
		}
		if d > hi {
			hi = d
		}
	}
	return lo, hi
}

// duration prints three significant digits: 183 ms, 1.52 s, 17.9 s.
func duration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		ms := float64(d) / float64(time.Millisecond)
		return strconv.FormatFloat(ms, 'f', decimals(ms), 64) + " ms"
	default:
		s := d.Seconds()
		return strconv.FormatFloat(s, 'f', decimals(s), 64) + " s"
	}
}

// exact prints a set duration as it was given, in milliseconds: 30 ms.
func exact(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', -1, 64) + " ms"
}

func decimals(v float64) int {
	switch {
	case v >= 100:
		return 0
	case v >= 10:
		return 1
	default:
		return 2
	}
}

func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

func mib(bytes int64) float64 { return float64(bytes) / (1 << 20) }

func megabytes(bytes int64) string {
	if bytes < 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f MiB", mib(bytes))
}

// thousands prints n with commas: 15,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// writeAll writes the sweep of every kind beside its bound.
func (r *Results) writeAll(p func(string, ...any), a *SizeResult) {
	bd, med := a.Bound, a.Median
	p("## A sweep of every kind (`RESOURCE_TYPES=all`)")
	p("")
	p("A dry-run sweep of connections, VPC connectors, auto scaling and observability")
	p("configurations, half of each in use by one service; App Runner's own auto scaling")
	p("configuration (DefaultConfiguration, which every other service uses) is listed too and")
	p("kept (`protected`). The index is the same one index of the services: it gains no calls.")
	p("Each other kind adds its listing (a chain of its own, 100 a page); each observability")
	p("configuration a describe (its listing tells neither its age nor its status), which takes")
	p("the K slots beside the services' describes; each free auto scaling configuration its")
	p("ListServicesForAutoScalingConfiguration cross-check before its tag look-up.")
	p("")
	var others []string
	for _, o := range bd.Others {
		others = append(others, fmt.Sprintf("%s %s (%s free)", thousands(o.Total), o.Kind, thousands(o.Free)))
	}
	p("| connections | services | others | wall | lower bound | wall ÷ bound | bound, pages in the K slots | App Runner calls (emulator) | `apiCalls` (report) | calls in the bound |")
	p("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	p("| %s (%s free) | %s | %s | %s | %s | %s | %s (%s) | %s | %s | %s |",
		thousands(bd.Connections), thousands(bd.Free), thousands(bd.Services), strings.Join(others, ", "),
		duration(med.Run), duration(bd.Wall), ratio(med.Run, bd.Wall), duration(a.SharedBound.Wall), ratio(med.Run, a.SharedBound.Wall),
		thousands(Total(med.EmulatorCalls)), thousands(Total(med.ReportCalls)), thousands(bd.TotalCalls()))
	p("")
	var runs []time.Duration
	for _, s := range a.Runs {
		runs = append(runs, s.Run)
	}
	lo, hi := minMax(runs)
	p("The median of %s (from %s to %s). Index = %d steps, decisions %d steps: %d × %s = %s.",
		plural(len(a.Runs), "sweep"), duration(lo), duration(hi), bd.IndexSteps, bd.DecideSteps, bd.Steps, exact(bd.Latency), duration(bd.Wall))
	p("")
	ops := append(slices.Clone(Operations[:4]), OtherOperations...)
	ops = slices.DeleteFunc(ops, func(op string) bool { return strings.HasPrefix(op, "Delete") })
	p("Calls by operation (emulator / report / bound):")
	p("")
	p("| %s |", strings.Join(ops, " | "))
	p("|%s", strings.Repeat(" ---: |", len(ops)))
	cells := make([]string, len(ops))
	for i, op := range ops {
		cells[i] = fmt.Sprintf("%s / %s / %s", thousands(med.EmulatorCalls[op]), thousands(med.ReportCalls[op]), thousands(bd.Calls[op]))
	}
	p("| %s |", strings.Join(cells, " | "))
	p("")
}
