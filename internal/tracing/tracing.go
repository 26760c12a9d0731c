// Package tracing is the only place in the module that knows about a
// tracing backend. It gives the engine a cleanup.Tracer and the AWS SDK
// clients their per-call instrumentation, today with AWS X-Ray.
//
// Inside Lambda, with active tracing, every phase of a run (index, decide,
// delete) is an X-Ray subsegment with its counts as annotations, and every
// AWS call is a subsegment (service, operation, region, request ID, HTTP
// status, retries) of the phase it was made in. All of them attach to the
// invocation's trace, named by the trace header that the Lambda runtime
// hands to each invocation.
//
// The package writes the X-Ray segment documents itself and sends them over
// UDP to the X-Ray daemon that Lambda runs beside the function: that is the
// whole protocol, and a few hundred lines. The X-Ray SDK for Go did the same
// but its core package links gRPC, protobuf, fasthttp and database/sql,
// which made the bootstrap 7.5 MB larger and its start in Lambda slower; it
// is also in maintenance mode (end of support 2027-02-25).
//
// Moving to OpenTelemetry stays a change of this package alone: write an
// OpenTelemetry StartPhase (tracer.Start, span.SetAttributes,
// span.RecordError, span.End), replace InstrumentAWS with the otelaws
// middleware (otelaws.AppendMiddlewares(&cfg.APIOptions)), replace Setup with
// the tracer provider's construction, and leave the engine and the handler's
// call sites as they are.
package tracing

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
)

// InLambda reports whether the process runs inside AWS Lambda, where the
// runtime provides a trace header for every invocation and an X-Ray daemon
// to send segments to. getenv is os.Getenv outside tests.
func InLambda(getenv func(string) string) bool {
	return getenv("AWS_LAMBDA_FUNCTION_NAME") != "" || getenv("_X_AMZN_TRACE_ID") != ""
}

// Options configures Setup.
type Options struct {
	// Enabled selects X-Ray; otherwise nothing is traced. Pass
	// InLambda(os.Getenv).
	Enabled bool

	// Logger receives, when Enabled, one warning the first time an AWS
	// call or a phase has no trace context (a context that lost its
	// invocation), and one the first time segments cannot be sent to the
	// daemon. Nil discards them.
	Logger *slog.Logger

	// DaemonAddress is where segment documents go, as Lambda's
	// AWS_XRAY_DAEMON_ADDRESS gives it: host:port, or
	// "tcp:host:port udp:host:port". Empty reads AWS_XRAY_DAEMON_ADDRESS,
	// and 127.0.0.1:2000 when that is unset too.
	DaemonAddress string
}

// Tracer is what Setup returns: it traces the engine's phases, and the AWS
// calls made under them once InstrumentAWS has been applied.
type Tracer interface {
	cleanup.Tracer
	// InstrumentAWS adds tracing to every call of clients built from cfg.
	InstrumentAWS(cfg *aws.Config)
}

// Setup returns the tracer to hand to the engine: an X-Ray tracer when
// opts.Enabled, and Noop otherwise, so that outside Lambda (tests, the
// command line) nothing is sent and nothing is logged.
//
// Setup touches no global state and opens no socket: the UDP socket to the
// daemon is opened when the first segment is sent, so the function's start
// pays nothing for tracing. Its only error is a daemon address it cannot
// read.
func Setup(opts Options) (Tracer, error) {
	if !opts.Enabled {
		return Noop{}, nil
	}
	addr := opts.DaemonAddress
	if addr == "" {
		addr = os.Getenv("AWS_XRAY_DAEMON_ADDRESS")
	}
	udp, err := daemonUDPAddress(addr)
	if err != nil {
		return nil, err
	}
	return &XRay{daemon: &daemon{addr: udp, logger: opts.Logger}, logger: opts.Logger}, nil
}

// Noop is a Tracer that records nothing.
type Noop struct{}

// InstrumentAWS does nothing: outside Lambda there is no trace to join.
func (Noop) InstrumentAWS(*aws.Config) {}

// StartPhase returns ctx unchanged and a function that does nothing.
func (Noop) StartPhase(ctx context.Context, _ string) (context.Context, func(map[string]int64, error)) {
	return ctx, func(map[string]int64, error) {}
}
