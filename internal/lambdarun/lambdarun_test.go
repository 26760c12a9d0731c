package lambdarun

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The tests share one build of the emulator and of a function that echoes
// its event: building them takes longer than all the tests together.
var (
	binDir    string
	buildOnce = sync.OnceValues(func() (Binaries, error) {
		b := Binaries{Bootstrap: filepath.Join(binDir, "bootstrap"), RIE: filepath.Join(binDir, "aws-lambda-rie")}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if err := goBuild(ctx, "../..", "-tags", "lambda.norpc", "-o", b.Bootstrap, "./internal/lambdarun/testdata/echo"); err != nil {
			return Binaries{}, err
		}
		if err := goBuild(ctx, "../..", "-o", b.RIE, riePackage); err != nil {
			return Binaries{}, err
		}
		return b, nil
	})
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambdarun-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// binaries returns the echo function and the emulator, built once.
func binaries(t *testing.T) Binaries {
	t.Helper()
	if testing.Short() {
		t.Skip("builds binaries and starts processes")
	}
	b, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// holdPort listens on a free loopback port until the test ends, standing
// for another process that holds it.
func holdPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.Addr().String()
}

// freePort returns a loopback address that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	a, _, err := freeAddrs()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// startEcho starts the echo function, logs the emulator's output if the
// test fails, and stops it when the test ends.
func startEcho(t *testing.T, opts Options) *Runtime {
	t.Helper()
	opts.Binaries = binaries(t)
	var out syncBuffer
	opts.Output = &out
	// Registered before Start, so that a failed start shows its output too.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("emulator output:\n%s", out.String())
		}
	})
	r, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// checkEcho invokes the function once: the answer proves that the function
// reached the emulator's Runtime API.
func checkEcho(t *testing.T, r *Runtime) {
	t.Helper()
	const event = `{"hello":"world"}`
	got, err := r.Invoke(t.Context(), []byte(event))
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	if string(got) != event {
		t.Errorf("response %s, want the event %s", got, event)
	}
}

// TestStartLeavesPort9001Alone is the failure that made the Runtime API
// take a port of its own: the emulator's default, 127.0.0.1:9001, held by
// anything else (another test run, make demo, a local service) stopped
// every test that ran the function.
func TestStartLeavesPort9001Alone(t *testing.T) {
	binaries(t)
	if l, err := net.Listen("tcp", "127.0.0.1:9001"); err != nil { // fixed-port-ok: held on purpose, the runtime emulator's old default
		// Someone else holds it, or may not: the test still shows that
		// Start works without it.
		t.Logf("cannot hold 127.0.0.1:9001 (%v); checking Start without holding it", err)
	} else {
		t.Cleanup(func() { l.Close() })
	}
	r := startEcho(t, Options{})
	if r.apiAddr == "127.0.0.1:9001" || r.apiAddr == r.addr { // fixed-port-ok
		t.Errorf("Runtime API on %s, invocations on %s: want two ports asked of the OS", r.apiAddr, r.addr)
	}
	checkEcho(t, r)
}

// TestStartRetriesAPortLostToAnotherProcess takes, before the emulator
// can, one of the ports Start picked for its first attempt, as another
// process may between Start's asking the OS and the emulator's binding.
func TestStartRetriesAPortLostToAnotherProcess(t *testing.T) {
	tests := []struct {
		name  string
		first func(held, free string) (rie, api string)
		// needsProc: only /proc tells a connection to the emulator from
		// one to the process that holds its port.
		needsProc bool
	}{
		{name: "Runtime API port", first: func(held, free string) (string, string) { return free, held }},
		{name: "invocation port", first: func(held, free string) (string, string) { return held, free }, needsProc: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needsProc && !procNet() {
				t.Skip("this system has no /proc/PID/net/tcp to tell whose a listening socket is")
			}
			held := holdPort(t)
			calls := 0
			r := startEcho(t, Options{addrs: func() (string, string, error) {
				calls++
				if calls == 1 {
					rie, api := tt.first(held, freePort(t))
					return rie, api, nil
				}
				return freeAddrs()
			}})
			if r.attempts != 2 || calls != 2 {
				// Fatal: invoking would wait forever on the process
				// that holds the port.
				t.Fatalf("started on attempt %d after %d picks, want the second", r.attempts, calls)
			}
			if r.addr == held || r.apiAddr == held {
				t.Errorf("serving on %s and %s, one of them the held %s", r.addr, r.apiAddr, held)
			}
			checkEcho(t, r)
		})
	}
}

// TestStartErrorCarriesTheEmulatorsOutput: the emulator says why it
// stopped only in its output, so Start's error quotes it.
func TestStartErrorCarriesTheEmulatorsOutput(t *testing.T) {
	tests := []struct {
		name         string
		addrs        func(held string) (rie, api string)
		wantAttempts int
		wantInUse    bool
		wantInError  []string
	}{
		{
			// Both ports forced onto one that is held: every attempt
			// loses, and the error says how many were made.
			name:         "every attempt finds its port taken",
			addrs:        func(held string) (string, string) { return held, held },
			wantAttempts: startAttempts,
			wantInUse:    true,
			wantInError: []string{
				"exited before serving", "bind: address already in use",
				fmt.Sprintf("attempt %d of %d", startAttempts, startAttempts), "lost a port",
			},
		},
		{
			// An error that new ports cannot cure is not retried.
			name:         "an address the emulator refuses",
			addrs:        func(string) (string, string) { return "127.0.0.1:0", "no-port" },
			wantAttempts: 1,
			wantInError:  []string{"exited before serving", `"--runtime-api-address" is not a valid network address`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			held := holdPort(t)
			calls := 0
			_, err := Start(t.Context(), Options{Binaries: binaries(t), addrs: func() (string, string, error) {
				calls++
				rie, api := tt.addrs(held)
				return rie, api, nil
			}})
			var se *StartError
			if !errors.As(err, &se) {
				t.Fatalf("Start: %v, want a *StartError", err)
			}
			if se.Attempts != tt.wantAttempts || calls != tt.wantAttempts || se.AddrInUse != tt.wantInUse {
				t.Errorf("attempts %d (picks %d), address in use %v; want %d, %v", se.Attempts, calls, se.AddrInUse, tt.wantAttempts, tt.wantInUse)
			}
			if n := len(se.Output); n == 0 || n > outputTail {
				t.Errorf("error carries %d output lines, want 1 to %d", n, outputTail)
			}
			for _, want := range tt.wantInError {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}
}

// TestNextLinesAfterExitCarriesTheEmulatorsOutput: an emulator that dies
// after it started serving also says why in the error.
func TestNextLinesAfterExitCarriesTheEmulatorsOutput(t *testing.T) {
	r := startEcho(t, Options{})
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_, err := r.NextLines(t.Context(), func(string) bool { return false })
	// The emulator logs the bootstrap it will run as it starts.
	for _, want := range []string{"runtime interface emulator exited", "signal: killed", "output lines:", "bootstrap"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NextLines after the emulator died: %v, want an error with %q", err, want)
		}
	}
}

func TestOutputTail(t *testing.T) {
	tests := []struct {
		name      string
		writes    []string
		n         int
		want      []string
		contains  string
		wantFound bool
	}{
		{name: "nothing", n: 3, want: nil, contains: "x"},
		{name: "fewer lines than asked", writes: []string{"a\nb\n"}, n: 3, want: []string{"a", "b"}, contains: "b", wantFound: true},
		{name: "the last n", writes: []string{"a\nb\nc\n", "d\n"}, n: 2, want: []string{"c", "d"}, contains: "a", wantFound: true},
		{
			// A process that dies mid-line still said it.
			name: "an unfinished last line", writes: []string{"a\nb\npanic: ", "bind: address already in use"}, n: 2,
			want: []string{"b", "panic: bind: address already in use"}, contains: "address already in use", wantFound: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &syncWriter{w: &syncBuffer{}, changed: make(chan struct{})}
			for _, w := range tt.writes {
				if _, err := s.Write([]byte(w)); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(tt.want, s.tail(tt.n)); diff != "" {
				t.Errorf("tail(%d) (-want +got):\n%s", tt.n, diff)
			}
			if got := s.contains(tt.contains); got != tt.wantFound {
				t.Errorf("contains(%q) = %v, want %v", tt.contains, got, tt.wantFound)
			}
		})
	}
}

// syncBuffer is a strings.Builder safe for the emulator's writes and the
// test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
