// Package lambdarun builds the function's bootstrap and runs it under the AWS
// Lambda Runtime Interface Emulator, without Docker, so that end-to-end tests
// and the demo invoke the very binary that is deployed, through the real
// Lambda runtime API.
package lambdarun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/build"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Packages that Build compiles. The emulator is pinned by a tool directive
// in the tools module, toolsModfile, apart from the function's dependencies.
const (
	handlerPackage = "./cmd/handler"
	riePackage     = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
	// toolsModfile is the tools module's go.mod, relative to the module root.
	toolsModfile = "tools/go.mod"
)

// Binaries are the paths of a built bootstrap and emulator.
type Binaries struct {
	Bootstrap, RIE string
}

// Build compiles the bootstrap as it is deployed (CGO_ENABLED=0,
// -tags lambda.norpc) for the host, and the runtime interface emulator, into
// dir. moduleRoot is the directory holding go.mod and tools/go.mod.
func Build(ctx context.Context, moduleRoot, dir string) (Binaries, error) {
	b := Binaries{Bootstrap: filepath.Join(dir, "bootstrap"), RIE: filepath.Join(dir, "aws-lambda-rie")}
	if err := goBuild(ctx, moduleRoot, "-tags", "lambda.norpc", "-trimpath", "-o", b.Bootstrap, handlerPackage); err != nil {
		return Binaries{}, err
	}
	if err := goBuild(ctx, moduleRoot, "-o", b.RIE, riePackage); err != nil {
		return Binaries{}, err
	}
	return b, nil
}

// goBuild runs go build in moduleRoot without cgo, as Lambda runs it. The
// package, the last argument, is built with the function's go.mod when it is
// a directory of this module (./cmd/handler), and with the tools module's
// (-modfile) when it is an import path, as the emulator's is: the function's
// go.mod does not require the emulator.
func goBuild(ctx context.Context, moduleRoot string, args ...string) error {
	args = append([]string{"build"}, args...)
	if pkg := args[len(args)-1]; !build.IsLocalImport(pkg) {
		args = slices.Insert(args, 1, "-modfile="+toolsModfile)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s (in %s): %w\n%s", strings.Join(args, " "), moduleRoot, err, out)
	}
	return nil
}

// Options configure a Runtime.
type Options struct {
	Binaries
	// Env is the function's environment (KEY=VALUE), added to this
	// process's own.
	Env []string
	// Output receives everything the emulator and the function print:
	// the function's log lines and EMF records among them. Nil discards.
	// Lines are also kept for NextLines. The output of attempts that lost
	// a port (see Start) is passed on too, so that nothing is hidden.
	Output io.Writer

	// addrs picks the emulator's two addresses for one attempt; nil asks
	// the OS for free loopback ports. Tests set it to force a clash.
	addrs func() (rie, runtimeAPI string, err error)
}

// startAttempts bounds how often Start tries again after the emulator lost
// one of its ports to another process (see Start).
const startAttempts = 5

// outputTail is how many of the emulator's last output lines an error
// carries: enough for a Go panic's first frames or logrus's last messages.
const outputTail = 20

// Runtime is a running emulator with the function loaded.
type Runtime struct {
	cmd           *exec.Cmd
	url           string
	addr, apiAddr string // the invocation endpoint's and the Runtime API's
	done          chan struct{}
	err           error
	out           *syncWriter
	attempts      int // emulators started, this one included
}

// StartError is Start's error when no emulator came to serve.
type StartError struct {
	// Attempts is how many emulators were started: more than one when
	// earlier ones lost a port to another process.
	Attempts int
	// AddrInUse says that the last attempt failed because one of its
	// ports was taken.
	AddrInUse bool
	// Err is why the last attempt failed.
	Err error
	// Output holds the last attempt's last output lines, where the
	// emulator says what went wrong.
	Output []string
}

func (e *StartError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (attempt %d of %d", e.Attempts, startAttempts)
		if e.AddrInUse {
			b.WriteString("; each lost a port it had been given to another process")
		}
		b.WriteString(")")
	}
	writeTail(&b, e.Output)
	return b.String()
}

func (e *StartError) Unwrap() error { return e.Err }

// writeTail appends output lines to an error message, indented so that
// they read as a quotation.
func writeTail(b *strings.Builder, lines []string) {
	if len(lines) == 0 {
		b.WriteString("; it printed nothing")
		return
	}
	fmt.Fprintf(b, "; its last %d output lines:", len(lines))
	for _, l := range lines {
		b.WriteString("\n    ")
		b.WriteString(l)
	}
}

// Start runs the emulator and waits until it serves.
//
// The emulator listens twice, for invocations and for the function's
// Runtime API, and binds both addresses itself; its Runtime API would take
// 127.0.0.1:9001 unless told otherwise, which anything else may hold. So
// Start asks the OS for two free loopback ports and passes them on. Between
// closing those listeners and the emulator binding the ports another
// process may take one; the emulator then exits saying "address already in
// use", and Start tries again with new ports, up to startAttempts times.
func Start(ctx context.Context, opts Options) (*Runtime, error) {
	pick := opts.addrs
	if pick == nil {
		pick = freeAddrs
	}
	for attempt := 1; ; attempt++ {
		rieAddr, apiAddr, err := pick()
		if err != nil {
			return nil, err
		}
		r, err := start(ctx, opts, rieAddr, apiAddr)
		if err == nil {
			r.attempts = attempt
			return r, nil
		}
		var se *StartError
		if !errors.As(err, &se) {
			return nil, err
		}
		se.Attempts = attempt
		if !se.AddrInUse || attempt == startAttempts || ctx.Err() != nil {
			return nil, se
		}
	}
}

// start runs one emulator on the given addresses and waits until it serves
// on both, or exits.
func start(ctx context.Context, opts Options, rieAddr, apiAddr string) (*Runtime, error) {
	out := opts.Output
	if out == nil {
		out = io.Discard
	}
	sw := &syncWriter{w: out, changed: make(chan struct{})}
	cmd := exec.Command(opts.RIE,
		"--runtime-interface-emulator-address", rieAddr,
		"--runtime-api-address", apiAddr,
		opts.Bootstrap)
	cmd.Env = append(os.Environ(), opts.Env...)
	cmd.Stdout, cmd.Stderr = sw, sw
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start runtime interface emulator: %w", err)
	}
	r := &Runtime{
		cmd: cmd, url: "http://" + rieAddr + "/2015-03-31/functions/function/invocations",
		addr: rieAddr, apiAddr: apiAddr, done: make(chan struct{}), out: sw,
	}
	go func() { r.err = cmd.Wait(); close(r.done) }()

	// Polling is the only way to learn that a child has bound a port; the
	// interval bounds the wait's cost, not its outcome.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if r.serving() {
			return r, nil
		}
		select {
		case <-r.done:
			tail := sw.tail(outputTail)
			return nil, &StartError{
				Err:       fmt.Errorf("runtime interface emulator exited before serving on %s (Runtime API %s): %v", rieAddr, apiAddr, r.err),
				AddrInUse: sw.contains("address already in use"),
				Output:    tail,
			}
		case <-ctx.Done():
			r.Close()
			return nil, &StartError{
				Err:    fmt.Errorf("wait for runtime interface emulator on %s (Runtime API %s): %w", rieAddr, apiAddr, ctx.Err()),
				Output: sw.tail(outputTail),
			}
		case <-tick.C:
		}
	}
}

// serving tells whether the emulator serves. Where Linux's /proc tells, it
// is so when the emulator itself holds both of its listening sockets: a
// connection alone could reach another process that took the port first,
// and the emulator binds its Runtime API in a goroutine of its own, so that
// it can still fail after the invocation endpoint is up. Elsewhere a
// connection to the invocation endpoint has to do.
func (r *Runtime) serving() bool {
	if owned, known := listensOn(r.cmd.Process.Pid, r.addr, r.apiAddr); known {
		return owned
	}
	c, err := net.DialTimeout("tcp", r.addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// FunctionError is the error a function returned instead of a response.
type FunctionError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// Invoke sends one event and returns the function's response. An error the
// function returned comes back as a *FunctionError.
func (r *Runtime) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(event))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		select {
		case <-r.done:
			return nil, fmt.Errorf("invoke: %w: %w", err, r.exitError())
		default:
		}
		return nil, fmt.Errorf("invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("invoke: HTTP %d: %s", resp.StatusCode, body)
	}
	var fe FunctionError
	if resp.Header.Get("X-Amz-Function-Error") != "" || (json.Unmarshal(body, &fe) == nil && fe.Type != "" && fe.Message != "") {
		if fe.Type == "" {
			_ = json.Unmarshal(body, &fe)
		}
		return nil, &fe
	}
	return body, nil
}

// Close stops the emulator and the function.
func (r *Runtime) Close() error {
	select {
	case <-r.done:
		return nil
	default:
	}
	_ = r.cmd.Process.Signal(os.Interrupt)
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		// The emulator starts the function in a process group of its
		// own: kill it explicitly, or it would outlive the emulator.
		for _, pid := range children(r.cmd.Process.Pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		_ = r.cmd.Process.Kill()
		<-r.done
	}
	var exitErr *exec.ExitError
	if r.err != nil && !errors.As(r.err, &exitErr) {
		return r.err
	}
	return nil
}

// children lists the child processes of pid, where Linux's /proc tells.
func children(pid int) []int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			pids = append(pids, n)
		}
	}
	return pids
}

// freeAddrs asks the OS for two free loopback ports, holding the first
// while it asks for the second so that they differ.
func freeAddrs() (rie, runtimeAPI string, err error) {
	var addrs [2]string
	for i := range addrs {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", "", fmt.Errorf("find a free port: %w", err)
		}
		defer l.Close()
		addrs[i] = l.Addr().String()
	}
	return addrs[0], addrs[1], nil
}

// syncWriter serialises writes from the emulator's two output streams and
// keeps the complete lines for NextLines.
type syncWriter struct {
	mu      sync.Mutex
	w       io.Writer
	partial []byte
	lines   []string
	read    int
	changed chan struct{} // closed and replaced on every new line
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partial = append(s.partial, p...)
	added := false
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			break
		}
		s.lines = append(s.lines, string(s.partial[:i]))
		s.partial = s.partial[i+1:]
		added = true
	}
	if added {
		close(s.changed)
		s.changed = make(chan struct{})
	}
	return s.w.Write(p)
}

// NextLines returns the output lines not returned before, up to and
// including the first that last accepts, waiting for it. The function's
// output travels through the emulator's pipe, so it can arrive a moment
// after the response: a caller waits for the line it knows comes last.
func (r *Runtime) NextLines(ctx context.Context, last func(line string) bool) ([]string, error) {
	s := r.out
	exited := false
	for {
		s.mu.Lock()
		for i := s.read; i < len(s.lines); i++ {
			if last(s.lines[i]) {
				out := append([]string(nil), s.lines[s.read:i+1]...)
				s.read = i + 1
				s.mu.Unlock()
				return out, nil
			}
		}
		changed := s.changed
		s.mu.Unlock()
		if exited {
			return nil, r.exitError()
		}
		select {
		case <-changed:
		case <-r.done:
			exited = true // look once more: the line may have come with the exit
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for output: %w", ctx.Err())
		}
	}
}

// exitError says that the emulator exited, and what it printed last; the
// caller has seen r.done closed.
func (r *Runtime) exitError() error {
	var b strings.Builder
	fmt.Fprintf(&b, "runtime interface emulator exited: %v", r.err)
	writeTail(&b, r.out.tail(outputTail))
	return errors.New(b.String())
}

// tail returns the last n output lines, with a last line that has no line
// end yet: a dying process may not finish its line.
func (s *syncWriter) tail(n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	lines := s.lines
	if len(s.partial) > 0 {
		lines = append(lines[:len(lines):len(lines)], string(s.partial))
	}
	return append([]string(nil), lines[max(0, len(lines)-n):]...)
}

// contains tells whether any output so far contains sub.
func (s *syncWriter) contains(sub string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.Contains(string(s.partial), sub) {
		return true
	}
	for _, l := range s.lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

// Lines returns every complete output line so far.
func (r *Runtime) Lines() []string {
	r.out.mu.Lock()
	defer r.out.mu.Unlock()
	return append([]string(nil), r.out.lines...)
}
