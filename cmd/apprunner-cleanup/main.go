// Command apprunner-cleanup is the operator's command: it sweeps, deletes
// and offboards App Runner connections by hand with the cleanup function's
// engine and configuration, as a dry run unless told --delete:
//
//	apprunner-cleanup sweep --region eu-west-1
//	apprunner-cleanup delete --delete arn:aws:apprunner:us-east-1:123456789012:connection/legacy-github/7c3bb97d87a2b0d482acd89eaad25d3b
//	apprunner-cleanup offboard --account 210987654321 --regions us-east-1,eu-west-1
//
// See apprunner-cleanup --help; the logic is in internal/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/apprunner-tools/connection-cleanup/internal/cli"
)

// version is set at build time with -ldflags '-X main.version=...';
// empty, the build information's is used.
var version string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		LookupEnv:      os.LookupEnv,
		StdinTerminal:  isTerminal(os.Stdin),
		StdoutTerminal: isTerminal(os.Stdout),
		StderrTerminal: isTerminal(os.Stderr),
		Version:        version,
	})
	stop()
	os.Exit(code)
}

// isTerminal reports whether f is a character device other than the null
// device (which is one too, and what </dev/null and cron give a process).
// The standard library's view is enough for that, so no terminal package
// is linked in; another character device as a stream would pass for a
// terminal.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}
