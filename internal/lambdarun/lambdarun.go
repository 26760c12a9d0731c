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
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Module paths of what Build compiles. The emulator is pinned by a tool
// directive in go.mod.
const (
	handlerPackage = "./cmd/handler"
	riePackage     = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
)

// Binaries are the paths of a built bootstrap and emulator.
type Binaries struct {
	Bootstrap, RIE string
}

// Build compiles the bootstrap as it is deployed (CGO_ENABLED=0,
// -tags lambda.norpc) for the host, and the runtime interface emulator, into
// dir. moduleRoot is the directory holding go.mod.
func Build(ctx context.Context, moduleRoot, dir string) (Binaries, error) {
	b := Binaries{Bootstrap: filepath.Join(dir, "bootstrap"), RIE: filepath.Join(dir, "aws-lambda-rie")}
	builds := [][]string{
		{"build", "-tags", "lambda.norpc", "-trimpath", "-o", b.Bootstrap, handlerPackage},
		{"build", "-o", b.RIE, riePackage},
	}
	for _, args := range builds {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = moduleRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return Binaries{}, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return b, nil
}

// Options configure a Runtime.
type Options struct {
	Binaries
	// Env is the function's environment (KEY=VALUE), added to this
	// process's own.
	Env []string
	// Output receives everything the emulator and the function print:
	// the function's log lines and EMF records among them. Nil discards.
	// Lines are also kept for NextLines.
	Output io.Writer
}

// Runtime is a running emulator with the function loaded.
type Runtime struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
	err  error
	out  *syncWriter
}

// Start runs the emulator on a free loopback port and waits until it accepts
// connections.
func Start(ctx context.Context, opts Options) (*Runtime, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	out := opts.Output
	if out == nil {
		out = io.Discard
	}
	sw := &syncWriter{w: out, changed: make(chan struct{})}
	cmd := exec.Command(opts.RIE, "--runtime-interface-emulator-address", addr, opts.Bootstrap)
	cmd.Env = append(os.Environ(), opts.Env...)
	cmd.Stdout, cmd.Stderr = sw, sw
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start runtime interface emulator: %w", err)
	}
	r := &Runtime{cmd: cmd, url: "http://" + addr + "/2015-03-31/functions/function/invocations", done: make(chan struct{}), out: sw}
	go func() { r.err = cmd.Wait(); close(r.done) }()

	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return r, nil
		}
		select {
		case <-r.done:
			return nil, fmt.Errorf("runtime interface emulator exited before serving: %v", r.err)
		case <-ctx.Done():
			r.Close()
			return nil, fmt.Errorf("wait for runtime interface emulator: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
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

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
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
			return nil, fmt.Errorf("runtime interface emulator exited: %v", r.err)
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

// Lines returns every complete output line so far.
func (r *Runtime) Lines() []string {
	r.out.mu.Lock()
	defer r.out.mu.Unlock()
	return append([]string(nil), r.out.lines...)
}
