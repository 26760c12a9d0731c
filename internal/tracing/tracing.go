// Package tracing is the only place in the module that imports a tracing
// SDK. It gives the engine a cleanup.Tracer and the AWS SDK clients their
// per-call instrumentation, today with AWS X-Ray.
//
// Why a package of its own: the X-Ray SDKs entered maintenance mode on
// 2026-02-25 and reach end of support on 2027-02-25; AWS recommends
// OpenTelemetry instead. Keeping every X-Ray import here, behind the
// cleanup.Tracer seam, means the move is one package: write an
// OpenTelemetry StartPhase (tracer.Start, span.SetAttributes,
// span.RecordError, span.End), replace InstrumentAWS with the otelaws
// middleware (otelaws.AppendMiddlewares(&cfg.APIOptions)), replace Setup with
// the tracer provider's construction, and leave the engine and the handler's
// call sites as they are.
//
// The SDK used is github.com/aws/aws-xray-sdk-go/v2: the unsuffixed module
// resolves to v1.8.x, which pulls in the retired AWS SDK for Go v1.
package tracing

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-xray-sdk-go/v2/instrumentation/awsv2"
	"github.com/aws/aws-xray-sdk-go/v2/strategy/ctxmissing"
	"github.com/aws/aws-xray-sdk-go/v2/xray"
	"github.com/aws/aws-xray-sdk-go/v2/xraylog"

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
	// Enabled selects X-Ray; otherwise phases are not traced. Pass
	// InLambda(os.Getenv).
	Enabled bool

	// Logger receives the SDK's own warnings and errors, and, when Enabled,
	// a warning for every AWS call made without a trace context (a context
	// that lost its invocation). Nil discards them.
	Logger *slog.Logger
}

// Tracer is what Setup returns: it traces the engine's phases, and the AWS
// calls made under them once InstrumentAWS has been applied.
type Tracer interface {
	cleanup.Tracer
	// InstrumentAWS adds tracing to every call of clients built from cfg.
	InstrumentAWS(cfg *aws.Config)
}

// Setup configures the X-Ray SDK's process-wide state and returns the
// tracer to hand to the engine.
//
// The SDK keeps its logger and its context-missing strategy in package
// globals, so Setup mutates global state: call it once, from main, before
// any AWS client makes a call, and nowhere else.
//
// Outside Lambda (tests, the command line) there is no segment in any
// context; the SDK's default strategy would log an error for every AWS
// call, so Setup makes it ignore the missing context, and returns a tracer
// that does nothing. The AWS_XRAY_CONTEXT_MISSING variable, when set, still
// overrides the strategy: the SDK gives it precedence.
func Setup(opts Options) (Tracer, error) {
	logger := opts.Logger
	if logger == nil {
		xray.SetLogger(xraylog.NullLogger)
	} else {
		xray.SetLogger(sdkLogger{logger: logger})
	}

	var strategy ctxmissing.Strategy = ctxmissing.NewDefaultIgnoreErrorStrategy()
	if opts.Enabled && logger != nil {
		strategy = contextMissingLogger{logger: logger}
	}
	if err := xray.Configure(xray.Config{ContextMissingStrategy: strategy}); err != nil {
		return nil, fmt.Errorf("configure x-ray: %w", err)
	}

	if !opts.Enabled {
		return Noop{}, nil
	}
	return XRay{}, nil
}

// InstrumentAWS makes every call of clients built from cfg an X-Ray
// subsegment (service, operation, region, request ID, HTTP status) of the
// segment in the call's context. Call it on the aws.Config before creating
// clients.
func (XRay) InstrumentAWS(cfg *aws.Config) {
	awsv2.AWSV2Instrumentor(&cfg.APIOptions)
}

// sdkLogger forwards the SDK's warnings and errors to slog; its debug and
// info messages (each emitted segment, the daemon address) are noise in
// function logs.
type sdkLogger struct {
	logger *slog.Logger
}

func (l sdkLogger) Log(level xraylog.LogLevel, msg fmt.Stringer) {
	switch level {
	case xraylog.LogLevelError:
		l.logger.Error("x-ray sdk", "detail", msg.String())
	case xraylog.LogLevelWarn:
		l.logger.Warn("x-ray sdk", "detail", msg.String())
	}
}

// contextMissingLogger reports an AWS call made, inside Lambda, with a
// context that carries no invocation: its trace is lost, which points at a
// context not passed along.
type contextMissingLogger struct {
	logger *slog.Logger
}

func (l contextMissingLogger) ContextMissing(v any) {
	l.logger.Warn("x-ray trace context missing", "detail", fmt.Sprint(v))
}

// Noop is a cleanup.Tracer that records nothing.
type Noop struct{}

// StartPhase returns ctx unchanged and a function that does nothing.
// InstrumentAWS does nothing: outside Lambda there is no trace to join.
func (Noop) InstrumentAWS(*aws.Config) {}

func (Noop) StartPhase(ctx context.Context, _ string) (context.Context, func(map[string]int64, error)) {
	return ctx, func(map[string]int64, error) {}
}
