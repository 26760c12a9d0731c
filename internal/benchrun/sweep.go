package benchrun

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

// SweepEvent is the request every measured sweep handles: a direct
// invocation asking for a dry-run sweep of the function's account and
// region.
const SweepEvent = `{"action":"sweep","dryRun":true}`

// SweepOptions configure one measured sweep.
type SweepOptions struct {
	// Bootstrap is the function's binary, run as a command: it handles the
	// one event it reads from standard input and exits.
	Bootstrap  string
	Population Population
	// Concurrency is the function's MAX_CONCURRENCY.
	Concurrency int
	// Latency is what the emulator adds to every App Runner call, with no
	// jitter.
	Latency time.Duration
	// Mark runs the idle period's first sweep instead of a dry run: for
	// real (DRY_RUN=false) with UNUSED_FOR=168h, over connections never
	// marked, so that every free one is tagged (TagResource) and none
	// deleted.
	Mark bool
}

// MarkEvent is the request of a marking sweep: a real sweep.
const MarkEvent = `{"action":"sweep"}`

// SweepResult is what one sweep measured.
type SweepResult struct {
	// Run is the run's duration as the function reports it (durationMs of
	// its invocation summary): from the decoded request to the report.
	Run time.Duration
	// Process is the bootstrap process from start to exit: Run plus the
	// process start, loading the AWS configuration, STS
	// GetCallerIdentity, and writing the response.
	Process time.Duration
	// CallSpan is, as the emulator saw it, from the arrival of the first
	// App Runner call to the answer of the last.
	CallSpan time.Duration
	// EmulatorCalls counts the App Runner calls the emulator answered, by
	// operation; OtherCalls its STS calls (not App Runner's, so not in the
	// bound).
	EmulatorCalls, OtherCalls map[string]int
	// ReportCalls is the report's apiCalls: the calls the engine asked for,
	// retries inside the SDK counted once.
	ReportCalls map[string]int
	// Counts are the report's outcomes.
	Counts map[string]int
	// PeakRSS is the process's peak resident set size in bytes, from the
	// rusage that wait4 returns (ru_maxrss, what /usr/bin/time -v prints
	// as "Maximum resident set size"); -1 where the system does not say.
	PeakRSS int64
}

// Total adds up calls of every operation.
func Total(calls map[string]int) int {
	n := 0
	for _, c := range calls {
		n += c
	}
	return n
}

// RunSweep seeds a new emulator with the population, serves it on a
// loopback port the system picks, and runs the function on SweepEvent
// against it. It fails unless every connection got the outcome the seed
// implies (in_use or would_delete): a benchmark of a wrong sweep would
// mean nothing.
func RunSweep(ctx context.Context, opts SweepOptions) (SweepResult, error) {
	emu := apprunnerlocal.New(apprunnerlocal.Options{Latency: opts.Latency})
	if err := emu.Load(Seed(opts.Population)); err != nil {
		return SweepResult{}, err
	}
	spans := &spanRecorder{next: emu}
	url, stop, err := serve(spans)
	if err != nil {
		return SweepResult{}, err
	}
	defer stop()

	cmd := exec.CommandContext(ctx, opts.Bootstrap)
	cmd.Env = append(FunctionEnv(url), "MAX_CONCURRENCY="+strconv.Itoa(opts.Concurrency))
	if len(opts.Population.Others) > 0 {
		cmd.Env = append(cmd.Env, "RESOURCE_TYPES=all")
	}
	event, want := SweepEvent, "would_delete"
	if opts.Mark {
		// Later variables win: the real sweep with the idle period on.
		cmd.Env = append(cmd.Env, "DRY_RUN=false", "UNUSED_FOR=168h")
		event, want = MarkEvent, "marked"
	}
	cmd.Stdin = strings.NewReader(event)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	res := SweepResult{Process: time.Since(start), CallSpan: spans.span(), PeakRSS: -1}
	if err != nil {
		return res, fmt.Errorf("%s: %w\n%s", opts.Bootstrap, err, lastLines(stderr.String(), 20))
	}
	res.PeakRSS = peakRSS(cmd.ProcessState)

	var rep struct {
		Counts   map[string]int `json:"counts"`
		APICalls map[string]int `json:"apiCalls"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return res, fmt.Errorf("decode the function's response: %w", err)
	}
	res.Counts, res.ReportCalls = rep.Counts, rep.APICalls
	if res.Run, err = runDuration(stderr.Bytes()); err != nil {
		return res, err
	}
	res.EmulatorCalls, res.OtherCalls = map[string]int{}, map[string]int{}
	for op, n := range emu.Stats().Calls {
		if strings.HasPrefix(op, "sts:") {
			res.OtherCalls[op] = n
		} else {
			res.EmulatorCalls[op] = n
		}
	}
	return res, checkOutcomes(opts.Population, res.Counts, want)
}

// checkOutcomes fails unless a sweep of p decided what its seed implies:
// its resources in use in_use, the free ones free (would_delete, or
// marked), App Runner's own auto scaling configuration protected when
// that kind is swept, nothing else.
func checkOutcomes(p Population, counts map[string]int, free string) error {
	want := map[string]int{"in_use": p.InUse, free: p.Free}
	all := p.Connections
	for _, o := range p.Others {
		want["in_use"] += o.InUse
		want[free] += o.Free
		all += o.Total
		if o.Kind == KindAutoScaling {
			want["protected"]++
			all++
		}
	}
	got := 0
	for o, n := range counts {
		got += n
		if n != want[o] {
			return fmt.Errorf("the sweep of %d connections and %d services decided %s; want %s",
				p.Connections, p.Services, nonZero(counts), nonZero(want))
		}
	}
	if got != all {
		return fmt.Errorf("the sweep of %d resources decided %d", all, got)
	}
	return nil
}

// FunctionEnv is the function's environment against an emulator at url:
// a dry run, credentials the emulator takes, and nothing read from the
// machine's AWS configuration. It is the whole environment of a command
// run; under the runtime emulator it is added to the process's own, so a
// machine's AWS_CA_BUNDLE is cleared (Lambda sets none, and loading one
// costs milliseconds of INIT that Lambda does not pay).
func FunctionEnv(url string) []string {
	return []string{
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench", "AWS_SESSION_TOKEN=", "AWS_PROFILE=",
		"AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL_APPRUNNER=" + url, "AWS_ENDPOINT_URL_STS=" + url, "ACCOUNT_ID=",
		"AWS_CA_BUNDLE=", "DRY_RUN=true",
		// The idle period off: every free connection is decided
		// would_delete, with the calls of the bound.
		"UNUSED_FOR=0s",
	}
}

// runDuration reads the run's duration from the function's invocation
// summary, one of the JSON lines it logs.
func runDuration(logs []byte) (time.Duration, error) {
	sc := bufio.NewScanner(bytes.NewReader(logs))
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		var line struct {
			Message    string   `json:"message"`
			DurationMs *float64 `json:"durationMs"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Message != "invocation summary" {
			continue
		}
		if line.DurationMs == nil {
			return 0, errors.New("the function's invocation summary has no durationMs")
		}
		return time.Duration(*line.DurationMs * float64(time.Millisecond)), nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read the function's log: %w", err)
	}
	return 0, errors.New("the function logged no invocation summary")
}

// serve serves h on a loopback port the system picks.
func serve(h http.Handler) (url string, stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }() // ends with ErrServerClosed on stop
	return "http://" + l.Addr().String(), func() { srv.Close() }, nil
}

// spanRecorder notes when the first App Runner call arrived and the last
// was answered.
type spanRecorder struct {
	next http.Handler
	callWindow
}

// callWindow is the time from the first call's arrival to the last one's
// answer, of the calls added to it.
type callWindow struct {
	mu          sync.Mutex
	first, last time.Time
}

func (c *callWindow) add(start, end time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.first.IsZero() || start.Before(c.first) {
		c.first = start
	}
	if end.After(c.last) {
		c.last = end
	}
}

func (c *callWindow) span() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last.Sub(c.first)
}

func (s *spanRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AppRunner.") {
		s.next.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	s.next.ServeHTTP(w, r)
	s.add(start, time.Now())
}

func nonZero(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] != 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
	}
	return strings.Join(parts, ", ")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
