package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var fixedNow = time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

const (
	connA = "arn:aws:apprunner:eu-west-1:123456789012:connection/old-github/0123456789abcdef0123456789abcdef"
	connB = "arn:aws:apprunner:eu-west-1:123456789012:connection/shared/fedcba9876543210fedcba9876543210"
	connC = "arn:aws:apprunner:eu-west-1:123456789012:connection/flaky/00112233445566778899aabbccddeeff"
	svc1  = "arn:aws:apprunner:eu-west-1:123456789012:service/web/11111111111111111111111111111111"
	svc2  = "arn:aws:apprunner:eu-west-1:123456789012:service/api/22222222222222222222222222222222"
)

// sampleReport is a sweep with one result of most kinds.
func sampleReport() *request.Report {
	return &request.Report{
		Action: request.ActionDelete,
		DryRun: false,
		Results: []request.Result{
			{ARN: connA, Name: "old-github", Outcome: request.OutcomeDeleted, Reason: "no service uses it", RequestIDs: []string{"msg-1"}},
			{ARN: connB, Name: "shared", Outcome: request.OutcomeInUse, Reason: "2 services use it", UsedBy: []request.ServiceRef{
				{ServiceARN: svc1, ServiceName: "web", Status: "RUNNING"},
				{ServiceARN: svc2, ServiceName: "api", Status: "PAUSED"},
			}},
			{ARN: connC, Name: "flaky", Outcome: request.OutcomeFailed, Reason: "DeleteConnection kept failing: throttled"},
			{ARN: "not-an-arn", Outcome: request.OutcomeInvalid, Reason: "not an App Runner resource ARN"},
		},
		Counts: map[request.Outcome]int{
			request.OutcomeDeleted: 1, request.OutcomeInUse: 1, request.OutcomeFailed: 1, request.OutcomeInvalid: 1,
		},
		APICalls: map[string]int{"ListServices": 1, "DescribeService": 2, "DeleteConnection": 4}, APIRetries: 2,
		Duration: 1234567 * time.Microsecond,
	}
}

// newTestPublisher returns a Publisher writing logs (as the Lambda handler
// formats them) and metrics into buffers.
func newTestPublisher(t *testing.T, level slog.Level, appLogLevel string) (*Publisher, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var logs, metrics bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: level, ReplaceAttr: lambdacontext.ReplaceAttr}))
	p := New(Options{
		Namespace: "TestNamespace",
		Logger:    logger,
		Metrics:   &metrics,
		LogLevel:  appLogLevel,
		Now:       func() time.Time { return fixedNow },
	})
	return p, &logs, &metrics
}

type decisionLine struct {
	Level          string   `json:"level"`
	Message        string   `json:"message"`
	ConnectionARN  string   `json:"resourceArn"`
	ConnectionName string   `json:"resourceName"`
	Outcome        string   `json:"outcome"`
	Reason         string   `json:"reason"`
	UsedBy         []string `json:"usedBy"`
	Trigger        string   `json:"trigger"`
	Action         string   `json:"action"`
	DryRun         bool     `json:"dryRun"`
	InputIDs       []string `json:"inputIds"`
}

func TestPublishLogsEveryDecisionWithItsFields(t *testing.T) {
	p, logs, _ := newTestPublisher(t, slog.LevelInfo, "")
	if err := p.Publish(context.Background(), Invocation{Trigger: "sqs", Report: sampleReport()}); err != nil {
		t.Fatalf("Publish() error = %v", err)
	}

	lines := splitLines(t, logs)
	if len(lines) != 5 {
		t.Fatalf("got %d log lines, want 4 decisions and a summary:\n%s", len(lines), logs)
	}
	var got []decisionLine
	for _, l := range lines[:4] {
		var d decisionLine
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatalf("decode %s: %v", l, err)
		}
		got = append(got, d)
	}
	common := decisionLine{Message: "decision", Trigger: "sqs", Action: "delete", UsedBy: []string{}}
	with := func(f func(*decisionLine)) decisionLine { d := common; f(&d); return d }
	want := []decisionLine{
		with(func(d *decisionLine) {
			d.Level, d.ConnectionARN, d.ConnectionName, d.Outcome, d.Reason = "INFO", connA, "old-github", "deleted", "no service uses it"
			d.InputIDs = []string{"msg-1"}
		}),
		with(func(d *decisionLine) {
			d.Level, d.ConnectionARN, d.ConnectionName, d.Outcome, d.Reason = "INFO", connB, "shared", "in_use", "2 services use it"
			d.UsedBy = []string{svc1, svc2}
		}),
		with(func(d *decisionLine) {
			d.Level, d.ConnectionARN, d.ConnectionName, d.Outcome, d.Reason = "WARN", connC, "flaky", "failed", "DeleteConnection kept failing: throttled"
		}),
		with(func(d *decisionLine) {
			d.Level, d.ConnectionARN, d.Outcome, d.Reason = "WARN", "not-an-arn", "invalid", "not an App Runner resource ARN"
		}),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decision lines (-want +got):\n%s", diff)
	}
}

type summaryLine struct {
	Level         string         `json:"level"`
	Message       string         `json:"message"`
	Trigger       string         `json:"trigger"`
	Action        string         `json:"action"`
	DryRun        bool           `json:"dryRun"`
	Connections   int            `json:"connections"`
	Counts        map[string]int `json:"counts"`
	APICalls      map[string]int `json:"apiCalls"`
	APICallsTotal int            `json:"apiCallsTotal"`
	APIRetries    int            `json:"apiRetries"`
	DurationMs    float64        `json:"durationMs"`
	ColdStart     bool           `json:"coldStart"`
}

func TestPublishLogsSummaryAndColdStartOnce(t *testing.T) {
	quiet := &request.Report{Action: request.ActionSweep, DryRun: true, Results: []request.Result{
		{ARN: connA, Outcome: request.OutcomeWouldDelete, Reason: "dry run"},
	}, Counts: map[request.Outcome]int{request.OutcomeWouldDelete: 1}, Duration: 1500 * time.Microsecond}
	zero := map[string]int{"deleted": 0, "would_delete": 0, "already_deleted": 0, "in_use": 0, "protected": 0, "too_young": 0, "marked": 0, "invalid": 0, "failed": 0}
	counts := func(nonZero map[string]int) map[string]int {
		m := map[string]int{}
		for k, v := range zero {
			m[k] = v
		}
		for k, v := range nonZero {
			m[k] = v
		}
		return m
	}

	p, logs, _ := newTestPublisher(t, slog.LevelInfo, "")
	for _, rep := range []*request.Report{sampleReport(), quiet} {
		if err := p.Publish(context.Background(), Invocation{Trigger: "schedule", Report: rep}); err != nil {
			t.Fatalf("Publish() error = %v", err)
		}
	}

	var got []summaryLine
	for _, l := range splitLines(t, logs) {
		var s summaryLine
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatalf("decode %s: %v", l, err)
		}
		if s.Message == "invocation summary" {
			got = append(got, s)
		}
	}
	want := []summaryLine{
		{
			Level: "WARN", Message: "invocation summary", Trigger: "schedule", Action: "delete", Connections: 4,
			Counts:   counts(map[string]int{"deleted": 1, "in_use": 1, "failed": 1, "invalid": 1}),
			APICalls: map[string]int{"ListServices": 1, "DescribeService": 2, "DeleteConnection": 4}, APICallsTotal: 7,
			APIRetries: 2, DurationMs: 1234.567, ColdStart: true,
		},
		{
			Level: "INFO", Message: "invocation summary", Trigger: "schedule", Action: "sweep", DryRun: true, Connections: 1,
			Counts: counts(map[string]int{"would_delete": 1}), APICalls: map[string]int{}, DurationMs: 1.5,
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary lines (-want +got):\n%s", diff)
	}
}

func TestMetricsRecordFollowsEMFSpecification(t *testing.T) {
	tests := []struct {
		name       string
		inv        Invocation
		wantValues map[string]float64
	}{
		{
			name: "a run with results",
			inv:  Invocation{Trigger: "sqs", Report: sampleReport()},
			wantValues: map[string]float64{
				"Deleted": 1, "WouldDelete": 0, "AlreadyDeleted": 0, "InUse": 1, "Protected": 0, "TooYoung": 0, "Marked": 0,
				"Invalid": 1, "Failed": 1, "APICalls": 7, "APIRetries": 2, "Duration": 1234.567, "ColdStart": 1,
			},
		},
		{
			name: "no report and no trigger still counts every outcome",
			inv:  Invocation{},
			wantValues: map[string]float64{
				"Deleted": 0, "WouldDelete": 0, "AlreadyDeleted": 0, "InUse": 0, "Protected": 0, "TooYoung": 0, "Marked": 0,
				"Invalid": 0, "Failed": 0, "APICalls": 0, "APIRetries": 0, "Duration": 0, "ColdStart": 1,
			},
		},
		{
			name: "counts are those the report keeps as results are added",
			inv: Invocation{Trigger: "direct", Report: func() *request.Report {
				rep := request.NewReport(nil, false)
				rep.Add(request.Result{ARN: connA, Outcome: request.OutcomeTooYoung}, request.Result{ARN: connB, Outcome: request.OutcomeTooYoung})
				return rep
			}()},
			wantValues: map[string]float64{
				"Deleted": 0, "WouldDelete": 0, "AlreadyDeleted": 0, "InUse": 0, "Protected": 0, "TooYoung": 2, "Marked": 0,
				"Invalid": 0, "Failed": 0, "APICalls": 0, "APIRetries": 0, "Duration": 0, "ColdStart": 1,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, metrics := newTestPublisher(t, slog.LevelInfo, "")
			if err := p.Publish(context.Background(), tt.inv); err != nil {
				t.Fatalf("Publish() error = %v", err)
			}
			lines := splitLines(t, metrics)
			if len(lines) != 1 {
				t.Fatalf("got %d metrics lines, want 1:\n%s", len(lines), metrics)
			}
			got := validateEMF(t, lines[0])
			if diff := cmp.Diff(tt.wantValues, got); diff != "" {
				t.Errorf("metric values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMetricsRecordIsWrittenWhenLoggerLevelIsError(t *testing.T) {
	p, logs, metrics := newTestPublisher(t, slog.LevelError, "ERROR")
	if err := p.Publish(context.Background(), Invocation{Trigger: "sqs", Report: sampleReport()}); err != nil {
		t.Fatalf("Publish() error = %v", err)
	}
	if logs.Len() != 0 {
		t.Errorf("logger at ERROR wrote:\n%s", logs)
	}
	lines := splitLines(t, metrics)
	if len(lines) != 1 {
		t.Fatalf("got %d metrics lines, want 1", len(lines))
	}
	validateEMF(t, lines[0])
}

func TestMetricsRecordPassesLambdaLogLevelFilter(t *testing.T) {
	tests := []struct {
		appLogLevel string
		wantLevel   string
	}{
		{"", "INFO"},
		{"TRACE", "INFO"},
		{"DEBUG", "INFO"},
		{"INFO", "INFO"},
		{"WARN", "WARN"},
		{"error", "ERROR"},
		{"FATAL", "FATAL"},
	}
	for _, tt := range tests {
		t.Run(tt.appLogLevel, func(t *testing.T) {
			p, _, metrics := newTestPublisher(t, slog.LevelInfo, tt.appLogLevel)
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-42"})
			if err := p.Publish(ctx, Invocation{Trigger: "sqs"}); err != nil {
				t.Fatalf("Publish() error = %v", err)
			}
			var rec struct {
				Level     string `json:"level"`
				Timestamp string `json:"timestamp"`
				RequestID string `json:"requestId"`
			}
			if err := json.Unmarshal(metrics.Bytes(), &rec); err != nil {
				t.Fatalf("decode %s: %v", metrics, err)
			}
			if rec.Level != tt.wantLevel {
				t.Errorf("level = %q, want %q", rec.Level, tt.wantLevel)
			}
			if ts, err := time.Parse(time.RFC3339, rec.Timestamp); err != nil || !ts.Equal(fixedNow) {
				t.Errorf("timestamp = %q (%v), want %s in RFC 3339", rec.Timestamp, err, fixedNow.Format(time.RFC3339Nano))
			}
			if rec.RequestID != "req-42" {
				t.Errorf("requestId = %q, want req-42", rec.RequestID)
			}
		})
	}
}

func TestMetricsRecordMatchesGolden(t *testing.T) {
	p, _, metrics := newTestPublisher(t, slog.LevelInfo, "WARN")
	if err := p.Publish(context.Background(), Invocation{Trigger: "sqs", Report: sampleReport()}); err != nil {
		t.Fatalf("Publish() error = %v", err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, bytes.TrimSpace(metrics.Bytes()), "", "  "); err != nil {
		t.Fatalf("indent: %v", err)
	}
	pretty.WriteByte('\n')

	golden := filepath.Join("testdata", "metrics-record.json")
	if *update {
		if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), pretty.String()); diff != "" {
		t.Errorf("metrics record (-%s +got):\n%s", golden, diff)
	}
}

func TestOutcomeMetric(t *testing.T) {
	want := map[request.Outcome]string{
		request.OutcomeDeleted: "Deleted", request.OutcomeWouldDelete: "WouldDelete",
		request.OutcomeAlreadyDeleted: "AlreadyDeleted", request.OutcomeInUse: "InUse",
		request.OutcomeProtected: "Protected", request.OutcomeTooYoung: "TooYoung", request.OutcomeMarked: "Marked",
		request.OutcomeInvalid: "Invalid", request.OutcomeFailed: "Failed",
	}
	for _, o := range request.Outcomes() {
		if got := OutcomeMetric(o); got != want[o] {
			t.Errorf("OutcomeMetric(%q) = %q, want %q", o, got, want[o])
		}
	}
}

// emfUnits are the units the EMF specification's schema allows.
var emfUnits = map[string]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true, "Bytes": true, "Kilobytes": true,
	"Megabytes": true, "Gigabytes": true, "Terabytes": true, "Bits": true, "Kilobits": true,
	"Megabits": true, "Gigabits": true, "Terabits": true, "Percent": true, "Count": true,
	"Bytes/Second": true, "Kilobytes/Second": true, "Megabytes/Second": true, "Gigabytes/Second": true,
	"Terabytes/Second": true, "Bits/Second": true, "Kilobits/Second": true, "Megabits/Second": true,
	"Gigabits/Second": true, "Terabits/Second": true, "Count/Second": true, "None": true,
}

// validateEMF checks line against the rules of the CloudWatch Embedded
// Metric Format specification and returns the value of every metric it
// declares.
func validateEMF(t *testing.T, line string) map[string]float64 {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		t.Fatalf("record is not a JSON object: %v\n%s", err, line)
	}
	if dec.More() {
		t.Fatalf("record has data after the JSON object: %s", line)
	}
	meta, ok := root["_aws"].(map[string]any)
	if !ok {
		t.Fatalf("_aws = %v, want an object", root["_aws"])
	}
	ts, ok := meta["Timestamp"].(json.Number)
	if !ok {
		t.Fatalf("_aws.Timestamp = %v, want a number", meta["Timestamp"])
	}
	if ms, err := ts.Int64(); err != nil || ms != fixedNow.UnixMilli() {
		t.Errorf("_aws.Timestamp = %s, want %d (milliseconds since the epoch)", ts, fixedNow.UnixMilli())
	}
	directives, ok := meta["CloudWatchMetrics"].([]any)
	if !ok || len(directives) == 0 {
		t.Fatalf("_aws.CloudWatchMetrics = %v, want a non-empty array", meta["CloudWatchMetrics"])
	}
	values := map[string]float64{}
	for _, d := range directives {
		dir, ok := d.(map[string]any)
		if !ok {
			t.Fatalf("MetricDirective = %v, want an object", d)
		}
		if ns, _ := dir["Namespace"].(string); ns != "TestNamespace" {
			t.Errorf("Namespace = %v, want TestNamespace", dir["Namespace"])
		}
		sets, ok := dir["Dimensions"].([]any)
		if !ok || len(sets) == 0 {
			t.Fatalf("Dimensions = %v, want a non-empty array of dimension sets", dir["Dimensions"])
		}
		for _, s := range sets {
			keys, ok := s.([]any)
			if !ok || len(keys) > 30 {
				t.Fatalf("DimensionSet = %v, want an array of at most 30 keys", s)
			}
			for _, k := range keys {
				key, _ := k.(string)
				v, ok := root[key].(string)
				if key == "" || !ok || v == "" || len(v) > 1024 {
					t.Errorf("dimension %v: root member = %v, want a string of 1 to 1024 characters", k, root[key])
				}
			}
		}
		defs, ok := dir["Metrics"].([]any)
		if !ok || len(defs) == 0 || len(defs) > 100 {
			t.Fatalf("Metrics = %v, want 1 to 100 metric definitions", dir["Metrics"])
		}
		for _, m := range defs {
			def, _ := m.(map[string]any)
			name, _ := def["Name"].(string)
			if name == "" || len(name) > 1024 {
				t.Errorf("metric definition %v: Name must be a non-empty string", m)
				continue
			}
			if unit, _ := def["Unit"].(string); !emfUnits[unit] {
				t.Errorf("metric %s: Unit %v is not a CloudWatch unit", name, def["Unit"])
			}
			n, ok := root[name].(json.Number)
			if !ok {
				t.Errorf("metric %s: root member = %v, want a number", name, root[name])
				continue
			}
			f, err := n.Float64()
			if err != nil {
				t.Errorf("metric %s: %v", name, err)
			}
			values[name] = f
		}
	}
	return values
}

func splitLines(t *testing.T, buf *bytes.Buffer) []string {
	t.Helper()
	var lines []string
	for l := range strings.Lines(buf.String()) {
		lines = append(lines, strings.TrimSuffix(l, "\n"))
	}
	return lines
}

// failingWriter is a metrics destination that refuses every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestPublishSaysWhenTheMetricsRecordCannotBeWritten: the decisions are
// logged all the same, and the caller learns the record was lost.
func TestPublishSaysWhenTheMetricsRecordCannotBeWritten(t *testing.T) {
	var logs bytes.Buffer
	p := New(Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Metrics: failingWriter{}})
	rep := request.NewReport(nil, false)
	rep.Add(request.Result{ARN: connA, Outcome: request.OutcomeDeleted})

	err := p.Publish(context.Background(), Invocation{Trigger: "direct", Report: rep})

	if err == nil || !strings.Contains(err.Error(), "write metrics record: disk full") {
		t.Errorf("Publish error = %v, want the failed write", err)
	}
	if !strings.Contains(logs.String(), `"decision"`) {
		t.Errorf("decisions not logged when the metrics write fails:\n%s", logs.String())
	}
}

// TestPublishedRecordUsesTheDefaultNamespace: with no namespace configured
// the metrics land where the template's alarms read them.
func TestPublishedRecordUsesTheDefaultNamespace(t *testing.T) {
	var metrics bytes.Buffer
	p := New(Options{Logger: slog.New(slog.DiscardHandler), Metrics: &metrics})
	if err := p.Publish(context.Background(), Invocation{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(metrics.String(), `"Namespace":"`+DefaultNamespace+`"`) {
		t.Errorf("record %s, want namespace %s", metrics.String(), DefaultNamespace)
	}
}

// TestPublishLogsEachPlanAndTheDecisionsOfItsWorkItems: a plan's summary
// line, and its plan ID on the decisions its work items made, are what the
// progress query reads.
func TestPublishLogsEachPlanAndTheDecisionsOfItsWorkItems(t *testing.T) {
	p, logs, _ := newTestPublisher(t, slog.LevelInfo, "")
	rep := request.NewReport(nil, false)
	rep.Add(request.Result{ARN: connA, Outcome: request.OutcomeDeleted, PlanID: "plan-1"})
	rep.WorkItems = []request.WorkItemRun{{PlanID: "plan-1", Account: "210987654321", Region: "eu-west-1", Counts: map[request.Outcome]int{request.OutcomeDeleted: 1}}}
	rep.Plans = []request.PlanSummary{{PlanID: "plan-2", Action: request.ActionOffboard, Accounts: []string{"210987654321"},
		Regions: []string{"eu-west-1"}, WorkItems: 1, Refused: []request.Refusal{{Subject: "111111111111", Reason: "not under ORGANIZATION_OU_IDS"}}}}

	if err := p.Publish(context.Background(), Invocation{Trigger: "sqs", Report: rep}); err != nil {
		t.Fatal(err)
	}

	var decision, plan, item map[string]any
	for _, l := range splitLines(t, logs) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		switch m["message"] {
		case "decision":
			decision = m
		case "plan summary":
			plan = m
		case "work item summary":
			item = m
		}
	}
	if decision["planId"] != "plan-1" {
		t.Errorf("decision line %v, want planId plan-1", decision)
	}
	if item["planId"] != "plan-1" || item["account"] != "210987654321" || item["region"] != "eu-west-1" ||
		item["counts"].(map[string]any)["deleted"] != float64(1) {
		t.Errorf("work item line %v, want plan-1's run in 210987654321 eu-west-1 with 1 deleted", item)
	}
	if plan["planId"] != "plan-2" || plan["workItems"] != float64(1) || plan["level"] != "WARN" {
		t.Errorf("plan line %v, want plan-2 with 1 work item, at WARN for its refusal", plan)
	}
}

// TestPublishSaysWhoAskedForEachDecision: each decision line names the
// senders of the requests behind it, and the summary every sender.
func TestPublishSaysWhoAskedForEachDecision(t *testing.T) {
	p, logs, _ := newTestPublisher(t, slog.LevelInfo, "")
	rep := sampleReport()
	pipeline := request.Origin{Trigger: "sqs", Principal: "AIDAPIPELINE00000001", Queue: "arn:aws:sqs:us-east-1:123456789012:cleanup"}
	forged := request.Origin{Trigger: "sqs", Principal: "AIDAFORGEDSENDER0001", Queue: "arn:aws:sqs:us-east-1:123456789012:cleanup"}
	rep.Results[3].RequestIDs = []string{"msg-2"}
	rep.Origins = map[string]request.Origin{"msg-1": pipeline, "msg-2": forged}
	if err := p.Publish(context.Background(), Invocation{Trigger: "sqs", Report: rep}); err != nil {
		t.Fatal(err)
	}
	lines := splitLines(t, logs)
	var got [][]request.Origin
	for _, l := range lines {
		var line struct {
			RequestedBy []request.Origin `json:"requestedBy"`
		}
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatal(err)
		}
		got = append(got, line.RequestedBy)
	}
	want := [][]request.Origin{{pipeline}, {}, {}, {forged}, {pipeline, forged}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requestedBy of the decision lines and the summary (-want +got):\n%s", diff)
	}
}

// TestMetricsByResourceTypePrecedeTheTotals: one EMF record per resource
// type that had results counts that type's outcomes under the
// ResourceType dimension, before the totals record, which stays an
// invocation's last line; an invalid input, which has no type, is in the
// totals only.
func TestMetricsByResourceTypePrecedeTheTotals(t *testing.T) {
	var metrics bytes.Buffer
	p := New(Options{Logger: slog.New(slog.DiscardHandler), Metrics: &metrics, Namespace: "TestNamespace"})
	rep := request.NewReport(nil, false)
	rep.Add(
		request.Result{ResourceType: request.KindConnection, ARN: connA, Outcome: request.OutcomeDeleted},
		request.Result{ResourceType: request.KindVPCConnector, ARN: "arn:aws:apprunner:us-east-1:123456789012:vpcconnector/v/1/0123456789abcdef0123456789abcdef", Outcome: request.OutcomeInUse},
		request.Result{ResourceType: request.KindVPCConnector, ARN: "arn:aws:apprunner:us-east-1:123456789012:vpcconnector/w/1/0123456789abcdef0123456789abcdee", Outcome: request.OutcomeInUse},
		request.Result{ARN: "not-an-arn", Outcome: request.OutcomeInvalid},
	)
	if err := p.Publish(context.Background(), Invocation{Trigger: "direct", Report: rep}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(metrics.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d metrics records, want the totals and one per resource type (2):\n%s", len(lines), metrics.String())
	}
	for i, want := range []struct {
		typ           string
		deleted, used int
	}{{"connection", 1, 0}, {"vpc-connector", 0, 2}} {
		var rec struct {
			ResourceType string
			Deleted      int
			InUse        int
			Invalid      *int
			AWS          emfDocument `json:"_aws"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.ResourceType != want.typ || rec.Deleted != want.deleted || rec.InUse != want.used || rec.Invalid != nil {
			t.Errorf("record %d: %s; want %s with Deleted %d, InUse %d and no Invalid", i, lines[i], want.typ, want.deleted, want.used)
		}
		if d := rec.AWS.CloudWatchMetrics; len(d) != 1 || d[0].Namespace != "TestNamespace" || !cmp.Equal(d[0].Dimensions, [][]string{{"ResourceType"}}) {
			t.Errorf("record %d directive %+v, want the namespace and the ResourceType dimension alone", i, d)
		}
	}
	var totals struct{ Invalid, Deleted, InUse int }
	if err := json.Unmarshal([]byte(lines[2]), &totals); err != nil || totals.Invalid != 1 || totals.Deleted != 1 || totals.InUse != 2 {
		t.Errorf("last record %s, want the totals (Invalid 1, Deleted 1, InUse 2)", lines[2])
	}
}
