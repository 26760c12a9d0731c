package report

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// The metrics of each record, besides one count per outcome.
const (
	metricAPICalls   = "APICalls"   // App Runner requests sent, retries included (Count)
	metricAPIRetries = "APIRetries" // how many of them were retries (Count)
	metricDuration   = "Duration"   // engine run time (Milliseconds)
	metricColdStart  = "ColdStart"  // 1 on the process's first invocation, else 0 (Count)
)

// Dimension keys. Trigger and DryRun take a handful of values each, so the
// per-dimension metrics stay few; the empty dimension set adds the same
// metrics without dimensions, the totals that alarms watch (an alarm cannot
// sum a metric over dimension values without metric math).
const (
	dimTrigger = "Trigger"
	dimDryRun  = "DryRun"
	// dimResourceType is the dimension of the records by resource type
	// (see typeRecord): four values at most.
	dimResourceType = "ResourceType"
)

// dimensionSets returns the record's dimension sets, a fresh value each
// time so that no caller can change another's record.
func dimensionSets() [][]string { return [][]string{{dimTrigger, dimDryRun}, {}} }

// OutcomeMetric is the name of the metric that counts an outcome: the
// outcome in CamelCase, as CloudWatch metric names usually are
// ("would_delete" counts as "WouldDelete").
func OutcomeMetric(o request.Outcome) string {
	var b strings.Builder
	for word := range strings.SplitSeq(string(o), "_") {
		if word == "" {
			continue
		}
		b.WriteString(strings.ToUpper(word[:1]))
		b.WriteString(word[1:])
	}
	return b.String()
}

// emfDocument is the part of an EMF record under "_aws".
type emfDocument struct {
	Timestamp         int64             `json:"Timestamp"`
	CloudWatchMetrics []metricDirective `json:"CloudWatchMetrics"`
}

type metricDirective struct {
	Namespace  string             `json:"Namespace"`
	Dimensions [][]string         `json:"Dimensions"`
	Metrics    []metricDefinition `json:"Metrics"`
}

type metricDefinition struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

// metricsRecord builds the EMF record of one invocation: the directive, the
// dimension values and the metric values as root members, and the members
// that keep it past Lambda's log-level filter (see Publisher).
func (p *Publisher) metricsRecord(ctx context.Context, trigger string, rep *request.Report, coldStart bool) map[string]any {
	now := p.now()
	defs := make([]metricDefinition, 0, len(request.Outcomes())+4)
	rec := map[string]any{
		dimTrigger:  trigger,
		dimDryRun:   strconv.FormatBool(rep.DryRun),
		"level":     p.level,
		"timestamp": now.UTC().Format(time.RFC3339Nano),
		"message":   "metrics",
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		rec["requestId"] = lc.AwsRequestID
	}
	for _, o := range request.Outcomes() {
		name := OutcomeMetric(o)
		defs = append(defs, metricDefinition{Name: name, Unit: "Count"})
		rec[name] = rep.Counts[o]
	}
	cold := 0
	if coldStart {
		cold = 1
	}
	defs = append(defs,
		metricDefinition{Name: metricAPICalls, Unit: "Count"},
		metricDefinition{Name: metricAPIRetries, Unit: "Count"},
		metricDefinition{Name: metricDuration, Unit: "Milliseconds"},
		metricDefinition{Name: metricColdStart, Unit: "Count"},
	)
	rec[metricAPICalls] = totalCalls(rep.APICalls)
	rec[metricAPIRetries] = rep.APIRetries
	rec[metricDuration] = milliseconds(rep)
	rec[metricColdStart] = cold

	rec["_aws"] = emfDocument{
		Timestamp: now.UnixMilli(),
		CloudWatchMetrics: []metricDirective{{
			Namespace:  p.namespace,
			Dimensions: dimensionSets(),
			Metrics:    defs,
		}},
	}
	return rec
}

// typeRecord builds the EMF record of one resource type's outcomes in an
// invocation, with the ResourceType dimension alone: the totals record
// keeps the alarms' metrics, this one says which kind they were about.
// Invalid is left out: an input that was refused has no type.
func (p *Publisher) typeRecord(ctx context.Context, k request.Kind, counts map[request.Outcome]int) map[string]any {
	now := p.now()
	rec := map[string]any{
		dimResourceType: string(k),
		"level":         p.level,
		"timestamp":     now.UTC().Format(time.RFC3339Nano),
		"message":       "metrics by resource type",
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		rec["requestId"] = lc.AwsRequestID
	}
	var defs []metricDefinition
	for _, o := range request.Outcomes() {
		if o == request.OutcomeInvalid {
			continue
		}
		name := OutcomeMetric(o)
		defs = append(defs, metricDefinition{Name: name, Unit: "Count"})
		rec[name] = counts[o]
	}
	rec["_aws"] = emfDocument{
		Timestamp: now.UnixMilli(),
		CloudWatchMetrics: []metricDirective{{
			Namespace:  p.namespace,
			Dimensions: [][]string{{dimResourceType}},
			Metrics:    defs,
		}},
	}
	return rec
}

// writeMetrics writes the invocation's EMF records, each as one line, in
// one write, so that each is one CloudWatch Logs event: one record per
// resource type that had results, then the totals.
func (p *Publisher) writeMetrics(ctx context.Context, trigger string, rep *request.Report, coldStart bool) error {
	var records []map[string]any
	for _, k := range request.Kinds() {
		if counts, ok := rep.CountsByType[k]; ok {
			records = append(records, p.typeRecord(ctx, k, counts))
		}
	}
	// The totals go last: readers of the log (the demo, the end-to-end
	// test, the command's -vv) take them as an invocation's final line.
	records = append(records, p.metricsRecord(ctx, trigger, rep, coldStart))
	var lines []byte
	for _, rec := range records {
		line, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("encode metrics record: %w", err)
		}
		lines = append(append(lines, line...), '\n')
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.metrics.Write(lines); err != nil {
		return fmt.Errorf("write metrics record: %w", err)
	}
	return nil
}

// recordLevel is the "level" of the EMF record: the function's application
// log level when it is above INFO, so that the filter at that level keeps
// the record, else INFO.
func recordLevel(appLogLevel string) string {
	switch l := strings.ToUpper(strings.TrimSpace(appLogLevel)); l {
	case "WARN", "ERROR", "FATAL":
		return l
	}
	return "INFO"
}
