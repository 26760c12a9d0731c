// Command handler is the App Runner connection cleanup function. Under AWS
// Lambda (AWS_LAMBDA_RUNTIME_API set) it serves invocations; elsewhere it
// handles one event, from --event FILE or standard input, and prints the
// response:
//
//	bootstrap --event events/05-scheduled-sweep.json --dry-run
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/apprunner-tools/connection-cleanup/internal/function"
	"github.com/apprunner-tools/connection-cleanup/internal/tracing"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := function.LoadConfig(os.LookupEnv)
	if err != nil {
		return err
	}
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		return serve(cfg)
	}
	return once(cfg, args, stdin, stdout, stderr)
}

// serve runs under Lambda: logs and metrics go to stdout, which Lambda sends
// to CloudWatch Logs.
func serve(cfg function.Config) error {
	ctx := context.Background()
	logger := slog.New(lambdacontext.NewLogHandler())
	trace := tracing.InLambda(os.Getenv)
	// Setup configures the X-Ray SDK's process-wide state: once, here.
	tracer, err := tracing.Setup(tracing.Options{Enabled: trace, Logger: logger})
	if err != nil {
		return err
	}
	h, err := function.New(ctx, cfg, function.Deps{Logger: logger, Metrics: os.Stdout, Tracer: tracer})
	if err != nil {
		return err
	}
	lambda.StartWithOptions(h, lambda.WithEnableSIGTERM())
	return nil // not reached: the runtime loop ends the process
}

// once handles a single event as a command. The response alone goes to
// stdout so it can be piped; logs and metrics go to stderr.
func once(cfg function.Config, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bootstrap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	eventFile := fs.String("event", "-", "`file` holding the event to handle; - reads standard input")
	dryRun := fs.Bool("dry-run", false, "decide without deleting anything, whatever the event asks")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bootstrap [--event FILE] [--dry-run]\n\nHandles one event (a direct request, an EventBridge event or an SQS batch) and prints the response.\nConfiguration comes from the environment: see docs/configuration.md.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	event, err := readEvent(*eventFile, stdin)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{ReplaceAttr: lambdacontext.ReplaceAttr}))
	// Outside Lambda nothing is traced, and the X-Ray SDK must stay quiet.
	tracer, err := tracing.Setup(tracing.Options{})
	if err != nil {
		return err
	}
	h, err := function.New(ctx, cfg, function.Deps{Logger: logger, Metrics: stderr, Tracer: tracer, ForceDryRun: *dryRun, DryRunBy: "--dry-run"})
	if err != nil {
		return err
	}
	// An incomplete teardown comes with its report: print both.
	out, invokeErr := h.Invoke(ctx, event)
	if len(out) > 0 {
		var pretty bytes.Buffer
		if json.Indent(&pretty, out, "", "  ") != nil {
			pretty.Reset()
			pretty.Write(out)
		}
		pretty.WriteByte('\n')
		if _, err := stdout.Write(pretty.Bytes()); err != nil {
			return err
		}
	}
	return invokeErr
}

func readEvent(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read event from standard input: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	return b, nil
}
