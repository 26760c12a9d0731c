// Package report writes what one invocation decided to CloudWatch: a
// structured log line per decision and a summary line, through
// log/slog, and one Embedded Metric Format (EMF) record of metrics, written
// straight to stdout so that log-level settings cannot drop it.
package report

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// DefaultNamespace is the CloudWatch namespace of the metrics when
// Options.Namespace is empty.
const DefaultNamespace = "AppRunnerConnectionCleanup"

// Options configures a Publisher. Zero values take the production default.
type Options struct {
	// Namespace is the CloudWatch metrics namespace (METRICS_NAMESPACE).
	Namespace string

	// Logger receives the decision and summary lines. Default: a logger
	// over lambdacontext.NewLogHandler, which honours AWS_LAMBDA_LOG_FORMAT
	// and AWS_LAMBDA_LOG_LEVEL and adds the invocation's requestId.
	Logger *slog.Logger

	// Metrics receives the EMF records, one JSON line each. Default:
	// os.Stdout, which Lambda sends to CloudWatch Logs.
	Metrics io.Writer

	// LogLevel is the function's application log level as Lambda passes it
	// in AWS_LAMBDA_LOG_LEVEL. It sets the EMF record's "level" so that
	// Lambda's log-level filter keeps the record; see Publisher.
	LogLevel string

	// Now stamps the EMF records. Default: time.Now.
	Now func() time.Time
}

// Invocation is what Publish reports: one run of the engine.
type Invocation struct {
	// Trigger names the event source ("sqs", "schedule", "eventbridge",
	// "apprunner", "direct", "command"...). It is a metric dimension:
	// keep it to a handful of fixed values.
	Trigger string

	// Report is the engine's report; nil is reported as an empty run.
	Report *request.Report
}

// Publisher reports invocations. Create one per process, at start-up: the
// first invocation it publishes is counted as the cold start. It is safe
// for concurrent use.
//
// Metrics do not go through slog. With the JSON log format, Lambda filters
// application logs by the function's ApplicationLogLevel, and for runtimes
// other than its managed Java, .NET, Node.js and Python ones (a Go
// provided.al2023 function included) it reads each stdout line's level from
// a JSON "level" key; when that key is missing or invalid — which is also
// the case of a plain-text line — it assigns INFO (Lambda Developer Guide,
// "Log-level filtering",
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html).
// So neither slog nor a bare JSON line would survive a level raised to WARN:
// the metrics would vanish exactly when someone quietens the logs. The
// record is therefore written directly to Options.Metrics, bypassing slog's
// level, and carries "level" equal to the configured level (never below
// INFO) and an RFC 3339 "timestamp", so Lambda's filter lets it through at
// any setting. Both are extra root members, which the EMF specification
// allows and CloudWatch ignores.
type Publisher struct {
	namespace string
	logger    *slog.Logger
	level     string
	now       func() time.Time

	mu      sync.Mutex // serialises writes to metrics
	metrics io.Writer

	published atomic.Bool
}

// New returns a Publisher.
func New(opts Options) *Publisher {
	p := &Publisher{
		namespace: opts.Namespace,
		logger:    opts.Logger,
		metrics:   opts.Metrics,
		level:     recordLevel(opts.LogLevel),
		now:       opts.Now,
	}
	if p.namespace == "" {
		p.namespace = DefaultNamespace
	}
	if p.logger == nil {
		p.logger = slog.New(lambdacontext.NewLogHandler())
	}
	if p.metrics == nil {
		p.metrics = os.Stdout
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p
}

// Publish logs every decision of the invocation and its summary, then
// writes its metrics record. An error means the metrics record could not be
// written; the caller should log it, not fail the invocation for it.
func (p *Publisher) Publish(ctx context.Context, inv Invocation) error {
	coldStart := p.published.CompareAndSwap(false, true)
	rep := inv.Report
	if rep == nil {
		rep = request.NewReport(nil, false)
	}
	trigger := inv.Trigger
	if trigger == "" {
		trigger = "unknown"
	}
	p.logDecisions(ctx, trigger, rep)
	p.logPlans(ctx, trigger, rep)
	p.logWorkItems(ctx, trigger, rep)
	p.logSummary(ctx, trigger, rep, coldStart)
	return p.writeMetrics(ctx, trigger, rep, coldStart)
}
