package benchrun

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/lambdarun"
)

// ColdStarts are the INIT durations of one function, each from a fresh
// runtime interface emulator.
type ColdStarts struct {
	Name   string
	Binary string
	// Size is the binary's size in bytes.
	Size  int64
	Inits []time.Duration
}

// Median returns the median INIT (the mean of the middle two of an even
// number).
func (c ColdStarts) Median() time.Duration { return median(c.Inits) }

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// initReport is the emulator's line about a finished INIT.
var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// MeasureInit cold-starts the hello-world function and the cleanup
// function n times each under the runtime interface emulator, alternating
// which goes first, and reads each INIT from the emulator's
// INIT REPORT(durationMs: ...) line. The cleanup function's INIT includes
// what it does at start: loading the AWS configuration and asking STS
// GetCallerIdentity, here of a local emulator without added latency.
func MeasureInit(ctx context.Context, bins Binaries, n int) (hello, bootstrap ColdStarts, err error) {
	emu := apprunnerlocal.New(apprunnerlocal.Options{})
	url, stop, err := serve(emu)
	if err != nil {
		return hello, bootstrap, err
	}
	defer stop()

	hello = ColdStarts{Name: "hello world", Binary: bins.Hello}
	bootstrap = ColdStarts{Name: "cleanup function", Binary: bins.Bootstrap}
	for _, c := range []*ColdStarts{&hello, &bootstrap} {
		fi, err := os.Stat(c.Binary)
		if err != nil {
			return hello, bootstrap, err
		}
		c.Size = fi.Size()
	}
	helloStart := func() (time.Duration, error) {
		return coldStart(ctx, bins.RIE, bins.Hello, nil, `{}`)
	}
	bootstrapStart := func() (time.Duration, error) {
		return coldStart(ctx, bins.RIE, bins.Bootstrap, append(FunctionEnv(url), "AWS_LAMBDA_FUNCTION_TIMEOUT=60"), SweepEvent)
	}
	for i := range n {
		order := []struct {
			c     *ColdStarts
			start func() (time.Duration, error)
		}{{&hello, helloStart}, {&bootstrap, bootstrapStart}}
		if i%2 == 1 {
			slices.Reverse(order)
		}
		for _, o := range order {
			d, err := o.start()
			if err != nil {
				return hello, bootstrap, fmt.Errorf("cold start of the %s: %w", o.c.Name, err)
			}
			o.c.Inits = append(o.c.Inits, d)
		}
	}
	return hello, bootstrap, nil
}

// coldStart runs a function under a new runtime interface emulator,
// invokes it once (the emulator starts it on the first invocation), and
// returns the INIT the emulator reports.
func coldStart(ctx context.Context, rie, function string, env []string, event string) (time.Duration, error) {
	// The output is kept for NextLines, and quoted by Start's errors.
	rt, err := lambdarun.Start(ctx, lambdarun.Options{
		Binaries: lambdarun.Binaries{Bootstrap: function, RIE: rie},
		Env:      env,
	})
	if err != nil {
		return 0, err
	}
	defer rt.Close()
	if _, err := rt.Invoke(ctx, []byte(event)); err != nil {
		return 0, err
	}
	lines, err := rt.NextLines(ctx, initReport.MatchString)
	if err != nil {
		return 0, err
	}
	m := initReport.FindStringSubmatch(lines[len(lines)-1])
	ms, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("INIT REPORT %q: %w", m[1], err)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}
