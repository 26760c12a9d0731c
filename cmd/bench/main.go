// Command bench measures the cleanup function end to end and writes the
// results as Markdown: dry-run sweeps against the App Runner emulator at a
// fixed latency per call beside the least time and calls any engine could
// need, the function's INIT beside a hello-world function's under the
// Lambda Runtime Interface Emulator, the peak memory of a large sweep, and
// an organization plan (1,000 accounts × 4 regions by default): its
// planning beside its bound, a sample of its work items run as SQS
// batches, the whole plan's projected wall time, and every work item of
// the plan run by ten execution environments at once with Organizations
// throttled to 10 calls a second. make bench runs it through
// scripts/bench.sh, which adds the go test micro-benchmarks:
//
//	go run ./cmd/bench -out results.md
//
// Run it from the repository root.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/benchrun"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		out          = fs.String("out", "", "`file` to write the results to (required)")
		sizes        = fs.String("sizes", "10:30,100:300,1000:3000", "populations to sweep: CONNECTIONS:SERVICES,...")
		latency      = fs.Duration("latency", 30*time.Millisecond, "latency of every App Runner call of those sweeps, and of every call of the organization plan (no jitter)")
		concurrency  = fs.Int("concurrency", 8, "the function's MAX_CONCURRENCY")
		runs         = fs.Int("runs", 3, "sweeps of each size; the median counts")
		coldStarts   = fs.Int("cold-starts", 7, "cold starts of each function for INIT")
		memory       = fs.String("memory", "5000:15000", "population of the sweep whose peak RSS is measured: CONNECTIONS:SERVICES")
		memLatency   = fs.Duration("memory-latency", 0, "latency the emulator adds to every call of that sweep")
		markSize     = fs.String("mark", "1000:3000", "population of the idle period's first sweep, which tags every free connection: CONNECTIONS:SERVICES (\"\" leaves it out)")
		allSize      = fs.String("all", "1000:3000:300", "population of a dry-run sweep of every kind (RESOURCE_TYPES=all): CONNECTIONS:SERVICES:EACH_OTHER_KIND (\"\" leaves it out)")
		planAccounts = fs.Int("plan-accounts", 1000, "member accounts below the top OU of the organization plan; 0 leaves the plan out")
		planOUs      = fs.String("plan-ous", "5x4", "OUs below the top OU: the child OUs of each level, AxB...; the accounts are spread over the last level (\"\" keeps them in the top OU)")
		planRegions  = fs.String("plan-regions", "us-east-1,us-east-2,us-west-2,eu-west-1", "the plan's regions, comma-separated")
		planPop      = fs.String("plan-population", "4:3", "App Runner resources of every member account in each region: CONNECTIONS:SERVICES (half the connections in use)")
		planSample   = fs.Int("plan-sample", 50, "planned work items run, in SQS batches of 10 in one execution environment (at least 20: the first batch is cold; the median of the others counts)")
		planM        = fs.String("plan-max-concurrency", "2,10,50", "the SQS event source's MaximumConcurrency values (MaxConcurrentWorkItems) to project the plan's wall time at")
		planThrottle = fs.Float64("plan-throttle", 10, "then run every work item of the plan with Organizations throttled to this many calls a second (and as many at once); 0 leaves it out")
		planEnvs     = fs.Int("plan-throttle-environments", 10, "execution environments that run those work items at once (the event source's MaximumConcurrency)")
		command      = fs.String("command", "", "the command to show as having produced the results (default: this one)")
		revision     = fs.String("revision", "", "the source's revision, to show with the results")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *out == "" {
		return errors.New("-out is required")
	}
	if _, err := os.Stat("go.mod"); err != nil {
		return errors.New("run it from the repository root (where go.mod is)")
	}
	pops, err := parseSizes(*sizes)
	if err != nil {
		return fmt.Errorf("-sizes: %w", err)
	}
	mem, err := parseSizes(*memory)
	if err != nil || len(mem) != 1 {
		return fmt.Errorf("-memory %q: want one CONNECTIONS:SERVICES", *memory)
	}
	var mark benchrun.Population
	if *markSize != "" {
		m, err := parseSizes(*markSize)
		if err != nil || len(m) != 1 {
			return fmt.Errorf("-mark %q: want one CONNECTIONS:SERVICES", *markSize)
		}
		mark = m[0]
	}
	var all benchrun.Population
	if *allSize != "" {
		c, sv, n, ok := parseAll(*allSize)
		if !ok {
			return fmt.Errorf("-all %q: want CONNECTIONS:SERVICES:EACH_OTHER_KIND", *allSize)
		}
		all = benchrun.NewPopulation(c, sv).WithOthers(n)
	}
	plan, err := parsePlan(*planAccounts, *planOUs, *planRegions, *planPop, *planSample, *planM)
	if err != nil {
		return err
	}
	if *planThrottle < 0 || *planThrottle > 0 && (*planEnvs < 1 || *planEnvs > 100) {
		return fmt.Errorf("-plan-throttle %g -plan-throttle-environments %d: want a rate of 0 (left out) or more, and 1 to 100 environments", *planThrottle, *planEnvs)
	}
	if *planThrottle > 0 && *planAccounts > 0 {
		plan.Throttle = benchrun.ThrottledOptions{
			Limit:        apprunnerlocal.RateLimit{PerSecond: *planThrottle, Burst: max(1, int(*planThrottle))},
			Environments: *planEnvs,
		}
	}
	work, err := os.MkdirTemp("", "bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	res, err := benchrun.Run(ctx, benchrun.Config{
		ModuleRoot: ".", WorkDir: work,
		Sizes: pops, Latency: *latency, Concurrency: *concurrency, Runs: *runs,
		ColdStarts: *coldStarts,
		Memory:     mem[0], MemoryLatency: *memLatency,
		Mark:     mark,
		All:      all,
		Plan:     plan,
		Progress: stderr,
	})
	if err != nil {
		return err
	}
	res.Command = *command
	if res.Command == "" {
		res.Command = "go run ./cmd/bench " + strings.Join(args, " ")
	}
	res.Revision = *revision

	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := res.WriteMarkdown(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// parseSizes reads "10:30,100:300": connections and services.
func parseSizes(s string) ([]benchrun.Population, error) {
	var out []benchrun.Population
	for item := range strings.SplitSeq(s, ",") {
		cs, ss, ok := strings.Cut(strings.TrimSpace(item), ":")
		c, err1 := strconv.Atoi(cs)
		n, err2 := strconv.Atoi(ss)
		if !ok || err1 != nil || err2 != nil || c < 0 || n < 0 {
			return nil, fmt.Errorf("%q: want CONNECTIONS:SERVICES", item)
		}
		out = append(out, benchrun.NewPopulation(c, n))
	}
	return out, nil
}

// parsePlan reads the organization plan's flags; accounts 0 leaves the plan
// out.
func parsePlan(accounts int, ous, regions, population string, sample int, maxConcurrency string) (benchrun.PlanConfig, error) {
	if accounts == 0 {
		return benchrun.PlanConfig{}, nil
	}
	cfg := benchrun.PlanConfig{Shape: benchrun.OrgShape{Accounts: accounts}, Sample: sample}
	if accounts < 0 {
		return cfg, fmt.Errorf("-plan-accounts %d: want 0 (no plan) or more", accounts)
	}
	if strings.TrimSpace(ous) != "" {
		for f := range strings.SplitSeq(ous, "x") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return cfg, fmt.Errorf("-plan-ous %q: want the child OUs of each level, AxB..., each at least 1", ous)
			}
			cfg.Shape.Fanout = append(cfg.Shape.Fanout, n)
		}
	}
	if err := cfg.Shape.Validate(); err != nil {
		return cfg, fmt.Errorf("-plan-accounts/-plan-ous: %w", err)
	}
	for r := range strings.SplitSeq(regions, ",") {
		if r = strings.TrimSpace(r); r != "" {
			cfg.Regions = append(cfg.Regions, r)
		}
	}
	if len(cfg.Regions) == 0 {
		return cfg, errors.New("-plan-regions: name at least one region")
	}
	pop, err := parseSizes(population)
	if err != nil || len(pop) != 1 {
		return cfg, fmt.Errorf("-plan-population %q: want one CONNECTIONS:SERVICES", population)
	}
	cfg.Population = pop[0]
	if sample < 2*benchrun.EventSourceBatch || sample > accounts*len(cfg.Regions) {
		return cfg, fmt.Errorf("-plan-sample %d: want %d to %d (the plan's work items)", sample, 2*benchrun.EventSourceBatch, accounts*len(cfg.Regions))
	}
	for m := range strings.SplitSeq(maxConcurrency, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(m))
		if err != nil || n < 2 || n > 1000 {
			return cfg, fmt.Errorf("-plan-max-concurrency %q: want MaximumConcurrency values of 2 to 1000, comma-separated", maxConcurrency)
		}
		cfg.MaxConcurrency = append(cfg.MaxConcurrency, n)
	}
	return cfg, nil
}

// parseAll reads CONNECTIONS:SERVICES:EACH_OTHER_KIND.
func parseAll(s string) (connections, services, others int, ok bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 0 {
			return 0, 0, 0, false
		}
		n[i] = v
	}
	return n[0], n[1], n[2], n[0] > 0
}
