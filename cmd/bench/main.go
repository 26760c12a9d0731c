// Command bench measures the cleanup function end to end and writes the
// results as Markdown: dry-run sweeps against the App Runner emulator at a
// fixed latency per call beside the least time and calls any engine could
// need, the function's INIT beside a hello-world function's under the
// Lambda Runtime Interface Emulator, and the peak memory of a large sweep.
// make bench runs it through scripts/bench.sh, which adds the go test
// micro-benchmarks:
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
		out         = fs.String("out", "", "`file` to write the results to (required)")
		sizes       = fs.String("sizes", "10:30,100:300,1000:3000", "populations to sweep: CONNECTIONS:SERVICES,...")
		latency     = fs.Duration("latency", 30*time.Millisecond, "latency the emulator adds to every App Runner call of those sweeps (no jitter)")
		concurrency = fs.Int("concurrency", 8, "the function's MAX_CONCURRENCY")
		runs        = fs.Int("runs", 3, "sweeps of each size; the median counts")
		coldStarts  = fs.Int("cold-starts", 7, "cold starts of each function for INIT")
		memory      = fs.String("memory", "5000:15000", "population of the sweep whose peak RSS is measured: CONNECTIONS:SERVICES")
		memLatency  = fs.Duration("memory-latency", 0, "latency the emulator adds to every call of that sweep")
		command     = fs.String("command", "", "the command to show as having produced the results (default: this one)")
		revision    = fs.String("revision", "", "the source's revision, to show with the results")
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
