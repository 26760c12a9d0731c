package trigger_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
	"github.com/apprunner-tools/connection-cleanup/internal/trigger"
)

var (
	_ lambda.Handler = (*trigger.Handler)(nil)
	_ trigger.Runner = (*cleanup.Engine)(nil)
)

const (
	arnPrefix = "arn:aws:apprunner:us-east-1:123456789012:connection/"
	legacy    = arnPrefix + "legacy-github/7c3bb97d87a2b0d482acd89eaad25d3b"
	billing   = arnPrefix + "billing-github/f9db0bcd306cf3dd29651d9e821f6a4e"
	queue     = arnPrefix + "queue-target/79b270b00e9f42af97ed0524c75190b2"
	svcStore  = "arn:aws:apprunner:us-east-1:123456789012:service/storefront/e924861fb4ac77d6cf32419f8ae674c8"
	otherAcct = "arn:aws:apprunner:eu-west-1:210987654321:connection/other-account-conn/b38a73dfc7b965992616f4109dedfb95"
)

// echoRunner stands in for the engine at the trigger's boundary: it
// decides each named connection once, with the outcome the test assigns
// (deleted by default), and records what it was asked.
type echoRunner struct {
	outcomes  map[string]request.Outcome
	nilReport bool
	// anonymous leaves the results' request IDs out.
	anonymous bool

	mu    sync.Mutex
	calls [][]request.Request
}

func (r *echoRunner) Run(_ context.Context, reqs []request.Request) *request.Report {
	r.mu.Lock()
	r.calls = append(r.calls, slices.Clone(reqs))
	r.mu.Unlock()
	if r.nilReport {
		return nil
	}
	rep := request.NewReport(reqs, false)
	byARN := map[string]int{}
	for _, q := range reqs {
		var arns []string
		switch q.Action {
		case request.ActionDelete:
			for _, a := range q.Connections {
				arns = append(arns, a.String())
			}
		case request.ActionSweep:
			s := "sweep:"
			if q.Service != nil {
				s += q.Service.String()
			}
			arns = []string{s}
		case request.ActionOffboard:
			arns = []string{"offboard:" + q.Role.String()}
		}
		for _, a := range arns {
			if i, ok := byARN[a]; ok {
				rep.Results[i].RequestIDs = append(rep.Results[i].RequestIDs, q.ID)
				continue
			}
			o, ok := r.outcomes[a]
			if !ok {
				o = request.OutcomeDeleted
			}
			byARN[a] = len(rep.Results)
			rep.Add(request.Result{ARN: a, Outcome: o, RequestIDs: []string{q.ID}})
		}
	}
	if r.anonymous {
		for i := range rep.Results {
			rep.Results[i].RequestIDs = nil
		}
	}
	return rep
}

func (r *echoRunner) requests() [][]request.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

type recordingPublisher struct {
	mu      sync.Mutex
	kinds   []string
	reports []*request.Report
}

func (p *recordingPublisher) Publish(_ context.Context, kind string, rep *request.Report) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.kinds = append(p.kinds, kind)
	p.reports = append(p.reports, rep)
}

func readFile(t *testing.T, path ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(path...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sqsPayload(t *testing.T, bodies ...[2]string) []byte {
	t.Helper()
	var ev events.SQSEvent
	for _, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: b[0], Body: b[1], EventSource: "aws:sqs", AWSRegion: "us-east-1"})
	}
	p, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func invokeSQS(t *testing.T, h *trigger.Handler, payload []byte) []string {
	t.Helper()
	out, err := h.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("response %s: %v", out, err)
	}
	if resp.BatchItemFailures == nil {
		t.Errorf("response %s: batchItemFailures must be a list, even when empty", out)
	}
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

func TestSQSBatchResponseListsExactlyTheFailingMessages(t *testing.T) {
	runner := &echoRunner{outcomes: map[string]request.Outcome{
		otherAcct: request.OutcomeInvalid,
		billing:   request.OutcomeInUse,
	}}
	pub := &recordingPublisher{}
	h := &trigger.Handler{Runner: runner, Publisher: pub}
	got := invokeSQS(t, h, readFile(t, "testdata", "sqs-batch-mixed.json"))

	id := func(i int) string { return "3b8e9f21-5c1d-4a7e-9b0f-00000000000" + string(rune('0'+i)) }
	// 5: a service ARN, rejected by the decoder; 6: another account's
	// connection, refused by the engine; 7: garbage; 8: empty body;
	// 9: in use and asked to wait for services.
	want := []string{id(5), id(6), id(7), id(8), id(9)}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("batch item failures (-want +got):\n%s", d)
	}
	// The engine runs once, over the requests; the rejected messages never
	// reach it.
	calls := runner.requests()
	if len(calls) != 1 {
		t.Fatalf("runner called %d times, want once", len(calls))
	}
	var ran []string
	for _, q := range calls[0] {
		ran = append(ran, q.ID)
	}
	if d := cmp.Diff([]string{id(1), id(2), id(3), id(6), id(9)}, ran); d != "" {
		t.Errorf("requests run (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"sqs"}, pub.kinds); d != "" {
		t.Fatalf("published kinds (-want +got):\n%s", d)
	}
	// The published report has the rejections too, counted.
	rep := pub.reports[0]
	if n := rep.Counts[request.OutcomeInvalid]; n != 4 {
		t.Errorf("%d invalid results counted, want 4 (messages 5 to 8)", n)
	}
	i := slices.IndexFunc(rep.Results, func(r request.Result) bool { return slices.Contains(r.RequestIDs, id(5)) })
	if i < 0 {
		t.Fatalf("no result for message %s in %+v", id(5), rep.Results)
	}
	if r := rep.Results[i]; r.ARN != request.Excerpt(svcStore, request.InputExcerpt) || r.Outcome != request.OutcomeInvalid ||
		!strings.Contains(r.Reason, "ARN of an App Runner service, not a connection") {
		t.Errorf("result of message %s = %+v, want the service ARN invalid, with the decoder's reason", id(5), r)
	}
}

func TestSQSInUseFailsOnlyMessagesThatWaitForServices(t *testing.T) {
	runner := &echoRunner{outcomes: map[string]request.Outcome{billing: request.OutcomeInUse}}
	h := &trigger.Handler{Runner: runner}
	got := invokeSQS(t, h, sqsPayload(t,
		[2]string{"no-wait", billing},
		[2]string{"wait", `{"action":"delete","connectionArns":["` + billing + `"],"waitForServices":true}`},
		[2]string{"free", queue},
	))
	if d := cmp.Diff([]string{"wait"}, got); d != "" {
		t.Errorf("batch item failures (-want +got):\n%s", d)
	}
}

func TestSQSFailedAndDuplicateMessagesAreReportedOnce(t *testing.T) {
	runner := &echoRunner{outcomes: map[string]request.Outcome{legacy: request.OutcomeFailed}}
	h := &trigger.Handler{Runner: runner}
	got := invokeSQS(t, h, sqsPayload(t,
		[2]string{"a", legacy},
		[2]string{"b", queue},
		[2]string{"a", legacy},
		[2]string{"c", `{"action":"delete","connectionArns":["` + legacy + `","` + queue + `"]}`},
	))
	if d := cmp.Diff([]string{"a", "c"}, got); d != "" {
		t.Errorf("batch item failures (-want +got):\n%s", d)
	}
	calls := runner.requests()
	if len(calls) != 1 || len(calls[0]) != 3 {
		t.Fatalf("runner got %v, want one run over 3 requests", calls)
	}
}

func TestSQSWithoutReportRetriesEveryMessage(t *testing.T) {
	t.Run("requests only", func(t *testing.T) {
		h := &trigger.Handler{Runner: &echoRunner{nilReport: true}}
		got := invokeSQS(t, h, sqsPayload(t, [2]string{"a", legacy}, [2]string{"b", queue}))
		if d := cmp.Diff([]string{"a", "b"}, got); d != "" {
			t.Errorf("batch item failures (-want +got):\n%s", d)
		}
	})
	t.Run("with a rejected message", func(t *testing.T) {
		h := &trigger.Handler{Runner: &echoRunner{nilReport: true}}
		got := invokeSQS(t, h, sqsPayload(t, [2]string{"a", legacy}, [2]string{"b", "garbage"}))
		if d := cmp.Diff([]string{"a", "b"}, got); d != "" {
			t.Errorf("batch item failures (-want +got):\n%s", d)
		}
	})
}

// TestRejectedInputAloneRunsTheEngineWithoutRequests: input that is all
// rejected still gets the engine's report (it says whether the function
// runs dry), with the rejections added as invalid results.
func TestRejectedInputAloneRunsTheEngineWithoutRequests(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		wantErr bool
	}{
		{"SQS batch of garbage", sqsPayload(t, [2]string{"a", "garbage"}, [2]string{"b", svcStore}), false},
		{"custom event naming only a service ARN", customEvent(t, `{"action":"delete","connectionArns":["`+svcStore+`"]}`), true},
		{"direct request naming only a service ARN", []byte(`{"action":"delete","connectionArns":["` + svcStore + `"]}`), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runner := &echoRunner{}
			pub := &recordingPublisher{}
			h := &trigger.Handler{Runner: runner, Publisher: pub}
			_, err := h.Invoke(context.Background(), tt.payload)
			var inc *trigger.IncompleteError
			if tt.wantErr != errors.As(err, &inc) {
				t.Errorf("Invoke error = %v, want an *IncompleteError: %t", err, tt.wantErr)
			}
			calls := runner.requests()
			if len(calls) != 1 || len(calls[0]) != 0 {
				t.Errorf("runner calls = %v, want one run without requests", calls)
			}
			if len(pub.reports) != 1 {
				t.Fatalf("published %d reports, want 1", len(pub.reports))
			}
			rep := pub.reports[0]
			if n := rep.Counts[request.OutcomeInvalid]; n != len(rep.Results) || n == 0 {
				t.Errorf("report = %+v, want only invalid results, counted", rep)
			}
		})
	}
}

// TestDirectInvocationRejectionsCarryTheLambdaRequestID: the rejection
// of a single ARN is tied to the invocation like its request.
func TestDirectInvocationRejectionsCarryTheLambdaRequestID(t *testing.T) {
	runner := &echoRunner{}
	pub := &recordingPublisher{}
	h := &trigger.Handler{Runner: runner, Publisher: pub}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-42"})
	out, err := h.Invoke(ctx, []byte(`{"action":"delete","connectionArns":["`+legacy+`","`+svcStore+`"]}`))
	var inc *trigger.IncompleteError
	if !errors.As(err, &inc) || inc.Invalid != 1 || inc.Failed != 0 {
		t.Errorf("Invoke error = %v, want an *IncompleteError with one invalid result", err)
	}
	var rep request.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("response %s: %v", out, err)
	}
	want := []request.Result{
		{ARN: legacy, Outcome: request.OutcomeDeleted},
		{ARN: request.Excerpt(svcStore, request.InputExcerpt), Outcome: request.OutcomeInvalid,
			Reason: "not an App Runner resource ARN: ARN of an App Runner service, not a connection, VPC connector, auto scaling or observability configuration"},
	}
	if d := cmp.Diff(want, rep.Results); d != "" {
		t.Errorf("results (-want +got):\n%s", d)
	}
	if got := runner.requests()[0][0].ID; got != "req-42" {
		t.Errorf("request ID = %q, want the Lambda request ID", got)
	}
	// Request IDs are not marshalled; the published report has them.
	if len(pub.reports) != 1 {
		t.Fatalf("published %d reports, want 1", len(pub.reports))
	}
	for _, res := range pub.reports[0].Results {
		if !cmp.Equal([]string{"req-42"}, res.RequestIDs) {
			t.Errorf("result %s has request IDs %q, want the Lambda request ID", res.ARN, res.RequestIDs)
		}
	}
}

// TestSQSBodyHoldingAnAWSEventGoesToTheDeadLetterQueue: even an App
// Runner event that would ask for nothing is not believed in a message
// body; the message is handed back, and so ends in the dead-letter queue
// where a person sees who sent it.
func TestSQSBodyHoldingAnAWSEventGoesToTheDeadLetterQueue(t *testing.T) {
	runner := &echoRunner{}
	pub := &recordingPublisher{}
	h := &trigger.Handler{Runner: runner, Publisher: pub}
	body := string(readFile(t, "testdata", "eventbridge-apprunner-deploy-completed.json"))
	got := invokeSQS(t, h, sqsPayload(t, [2]string{"a", body}))
	if !slices.Equal(got, []string{"a"}) {
		t.Errorf("batch item failures = %v, want [a]", got)
	}
	for _, reqs := range runner.requests() {
		if len(reqs) != 0 {
			t.Errorf("runner ran %+v, want no request", reqs)
		}
	}
	if len(pub.reports) != 1 || pub.reports[0].Counts[request.OutcomeInvalid] != 1 {
		t.Errorf("published reports = %+v, want one with the body invalid", pub.reports)
	}
}

func TestDirectInvocationReturnsTheReportWithTheLambdaRequestID(t *testing.T) {
	runner := &echoRunner{}
	h := &trigger.Handler{Runner: runner}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-42"})
	out, err := h.Invoke(ctx, readFile(t, "testdata", "direct-delete.json"))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var rep request.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("response %s: %v", out, err)
	}
	if len(rep.Results) != 2 || rep.Counts[request.OutcomeDeleted] != 2 {
		t.Errorf("report = %s, want two deleted results", out)
	}
	if got := runner.requests()[0][0].ID; got != "req-42" {
		t.Errorf("request ID = %q, want the Lambda request ID", got)
	}
}

func TestAppRunnerOperationOtherThanDeletionIsANoOp(t *testing.T) {
	runner := &echoRunner{}
	pub := &recordingPublisher{}
	h := &trigger.Handler{Runner: runner, Publisher: pub}
	out, err := h.Invoke(context.Background(), readFile(t, "testdata", "eventbridge-apprunner-deploy-completed.json"))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var rep request.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Results == nil || len(rep.Results) != 0 {
		t.Errorf("report = %s, want an empty results list", out)
	}
	if rep.Action != "" {
		t.Errorf("action = %q, want none: nothing was swept or deleted", rep.Action)
	}
	if n := len(runner.requests()); n != 0 {
		t.Errorf("runner called %d times, want 0", n)
	}
	if d := cmp.Diff([]string{"apprunner"}, pub.kinds); d != "" {
		t.Errorf("published kinds (-want +got):\n%s", d)
	}
}

func TestUnknownPayloadIsAnErrorAndRunsNothing(t *testing.T) {
	runner := &echoRunner{}
	h := &trigger.Handler{Runner: runner}
	_, err := h.Invoke(context.Background(), readFile(t, "testdata", "sns-event.json"))
	var pe *trigger.PayloadError
	if !errors.As(err, &pe) {
		t.Fatalf("Invoke error = %v, want a *PayloadError", err)
	}
	if n := len(runner.requests()); n != 0 {
		t.Errorf("runner called %d times, want 0", n)
	}
}

// customEvent is a custom cleanup event carrying the JSON request detail.
func customEvent(t *testing.T, detail string) []byte {
	t.Helper()
	return []byte(`{"id":"ev-1","source":"` + trigger.DefaultCustomEventSource + `","detail-type":"` +
		trigger.CustomDetailType + `","detail":` + detail + `}`)
}

// TestInvocationThatDidNotFinishReturnsTheReportWithAnIncompleteError: every
// invocation but an SQS batch (which answers with its batch item failures)
// returns an error when work is left, so that Lambda's asynchronous retries,
// the schedule's retry policy and the dead-letter queues see it. Sweeps
// too: re-running one is safe.
func TestInvocationThatDidNotFinishReturnsTheReportWithAnIncompleteError(t *testing.T) {
	deleteOf := func(arn string, extra string) string {
		return `{"action":"delete","connectionArns":["` + arn + `"]` + extra + `}`
	}
	retiredSweep := "sweep:arn:aws:apprunner:us-east-1:123456789012:service/retired-worker/7a4e0c16c1fe5bf4b907967c84f19b80"
	tests := []struct {
		name     string
		payload  []byte
		outcomes map[string]request.Outcome
		want     *trigger.IncompleteError // nil: the report alone
	}{
		{"custom event with a failed connection", customEvent(t, deleteOf(legacy, "")),
			map[string]request.Outcome{legacy: request.OutcomeFailed},
			&trigger.IncompleteError{Kind: trigger.KindCustom, Failed: 1}},
		{"custom event naming another account's connection", customEvent(t, deleteOf(otherAcct, "")),
			map[string]request.Outcome{otherAcct: request.OutcomeInvalid},
			&trigger.IncompleteError{Kind: trigger.KindCustom, Invalid: 1}},
		// The service ARN is rejected by the decoder, the other account's
		// connection by the engine: both are invalid.
		{"custom event with failed and invalid connections", customEvent(t, `{"action":"delete","connectionArns":["`+legacy+`","`+otherAcct+`","`+svcStore+`"]}`),
			map[string]request.Outcome{legacy: request.OutcomeFailed, otherAcct: request.OutcomeInvalid},
			&trigger.IncompleteError{Kind: trigger.KindCustom, Failed: 1, Invalid: 2}},
		{"custom event naming only a service ARN", customEvent(t, deleteOf(svcStore, "")), nil,
			&trigger.IncompleteError{Kind: trigger.KindCustom, Invalid: 1}},
		{"custom event waiting for a service to go", customEvent(t, deleteOf(billing, `,"waitForServices":true`)),
			map[string]request.Outcome{billing: request.OutcomeInUse},
			&trigger.IncompleteError{Kind: trigger.KindCustom, Waiting: 1}},
		{"custom event not waiting for services", customEvent(t, deleteOf(billing, "")),
			map[string]request.Outcome{billing: request.OutcomeInUse}, nil},
		{"custom event that finished", customEvent(t, deleteOf(legacy, `,"waitForServices":true`)), nil, nil},
		{"App Runner deletion with an invalid service ARN", readFile(t, "testdata", "eventbridge-apprunner-delete-completed.json"),
			map[string]request.Outcome{retiredSweep: request.OutcomeInvalid},
			&trigger.IncompleteError{Kind: trigger.KindAppRunner, Invalid: 1}},
		{"scheduled sweep with a failure", readFile(t, "testdata", "eventbridge-scheduled.json"),
			map[string]request.Outcome{"sweep:": request.OutcomeFailed},
			&trigger.IncompleteError{Kind: trigger.KindSchedule, Failed: 1}},
		{"Scheduler sweep with a failure", readFile(t, "testdata", "eventbridge-scheduler-default.json"),
			map[string]request.Outcome{"sweep:": request.OutcomeFailed},
			&trigger.IncompleteError{Kind: trigger.KindScheduler, Failed: 1}},
		{"direct sweep with a failure", []byte(`{"action":"sweep"}`),
			map[string]request.Outcome{"sweep:": request.OutcomeFailed},
			&trigger.IncompleteError{Kind: trigger.KindDirect, Failed: 1}},
		{"direct sweep that finished", []byte(`{"action":"sweep"}`), nil, nil},
		{"direct request with an invalid ARN", []byte(deleteOf(otherAcct, "")),
			map[string]request.Outcome{otherAcct: request.OutcomeInvalid},
			&trigger.IncompleteError{Kind: trigger.KindDirect, Invalid: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &trigger.Handler{Runner: &echoRunner{outcomes: tt.outcomes}}
			out, err := h.Invoke(context.Background(), tt.payload)
			var inc *trigger.IncompleteError
			switch {
			case tt.want == nil && err != nil:
				t.Errorf("Invoke error = %v, want the report alone", err)
			case tt.want != nil && !errors.As(err, &inc):
				t.Errorf("Invoke error = %v, want an *IncompleteError", err)
			case tt.want != nil:
				if d := cmp.Diff(tt.want, inc, cmpopts.IgnoreFields(trigger.IncompleteError{}, "Examples")); d != "" {
					t.Errorf("IncompleteError (-want +got):\n%s", d)
				}
				// The error alone says what to look at, in a few lines.
				if n, want := len(inc.Examples), min(tt.want.Failed+tt.want.Invalid+tt.want.Waiting, 3); n != want {
					t.Errorf("%d examples %q, want %d", n, inc.Examples, want)
				}
				for _, ex := range inc.Examples {
					if !strings.Contains(err.Error(), ex) {
						t.Errorf("error %q does not quote example %q", err, ex)
					}
				}
			}
			// The report comes back with the error too, for the command line.
			var rep request.Report
			if err := json.Unmarshal(out, &rep); err != nil || len(rep.Results) == 0 {
				t.Errorf("response %q (%v), want the report", out, err)
			}
		})
	}
}

// TestTheOnlyRequestOwnsEveryResult: an invocation of one request that
// waits for services is waiting for every connection in use, even a
// result that names no request.
func TestTheOnlyRequestOwnsEveryResult(t *testing.T) {
	for _, tt := range []struct {
		name    string
		payload []byte
		want    int
	}{
		{"one request waiting", customEvent(t, `{"action":"delete","connectionArns":["`+billing+`"],"waitForServices":true}`), 1},
		{"one request not waiting", customEvent(t, `{"action":"delete","connectionArns":["`+billing+`"]}`), 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &trigger.Handler{Runner: &echoRunner{outcomes: map[string]request.Outcome{billing: request.OutcomeInUse}, anonymous: true}}
			_, err := h.Invoke(context.Background(), tt.payload)
			var inc *trigger.IncompleteError
			got := 0
			if errors.As(err, &inc) {
				got = inc.Waiting
			}
			if got != tt.want {
				t.Errorf("waiting for %d connections (%v), want %d", got, err, tt.want)
			}
		})
	}
}

func TestIncompleteErrorSaysHowManyFailedAndHowManyWereInvalid(t *testing.T) {
	err := &trigger.IncompleteError{Kind: trigger.KindCustom, Failed: 2, Invalid: 1, Waiting: 3}
	for _, part := range []string{"custom cleanup incomplete", "2 failed", "1 invalid", "3 in use while the request waits for services", "dead-letter queue"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not say %q", err, part)
		}
	}
}

func TestRejectedPayloadIsPublishedAsOneInvalidResultAndReturnedWithTheError(t *testing.T) {
	tests := []struct {
		name      string
		payload   []byte
		requestID string
	}{
		{"SNS event under Lambda", readFile(t, "testdata", "sns-event.json"), "req-7"},
		{"garbage without a Lambda context", []byte(strings.Repeat("not json ", 100)), ""},
		{"empty payload", nil, "req-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runner := &echoRunner{}
			pub := &recordingPublisher{}
			h := &trigger.Handler{Runner: runner, Publisher: pub}
			ctx := context.Background()
			if tt.requestID != "" {
				ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: tt.requestID})
			}
			out, err := h.Invoke(ctx, tt.payload)
			var pe *trigger.PayloadError
			if !errors.As(err, &pe) {
				t.Fatalf("Invoke error = %v, want a *PayloadError", err)
			}
			if n := len(runner.requests()); n != 0 {
				t.Errorf("runner called %d times, want 0", n)
			}
			if d := cmp.Diff([]string{"unknown"}, pub.kinds); d != "" {
				t.Fatalf("published kinds (-want +got):\n%s", d)
			}
			rep := pub.reports[0]
			var wantIDs []string
			if tt.requestID != "" {
				wantIDs = []string{tt.requestID}
			}
			if len(rep.Results) != 1 {
				t.Fatalf("published %d results, want 1", len(rep.Results))
			}
			res := rep.Results[0]
			if res.Outcome != request.OutcomeInvalid || res.Reason != pe.Error() || !cmp.Equal(wantIDs, res.RequestIDs) {
				t.Errorf("result = %+v, want invalid, the payload error as reason and request IDs %v", res, wantIDs)
			}
			if len(res.ARN) > 200 {
				t.Errorf("connectionArn holds %d bytes, want a short excerpt of the payload", len(res.ARN))
			}
			wantCounts := map[request.Outcome]int{}
			for _, o := range request.Outcomes() {
				wantCounts[o] = 0
			}
			wantCounts[request.OutcomeInvalid] = 1
			if d := cmp.Diff(wantCounts, rep.Counts); d != "" {
				t.Errorf("counts (-want +got):\n%s", d)
			}
			var got request.Report
			if err := json.Unmarshal(out, &got); err != nil || len(got.Results) != 1 || got.Results[0].Reason != pe.Error() {
				t.Errorf("response %q (%v), want the published report", out, err)
			}
		})
	}
}

// TestResponseListsAtMostMaxResponseResults: a sweep of more connections
// than a Lambda response can carry answers with the first results, every
// count, and how many it left out; the logs still get every decision.
func TestResponseListsAtMostMaxResponseResults(t *testing.T) {
	const n = trigger.MaxResponseResults + 5
	runner := runnerFunc(func(context.Context, []request.Request) *request.Report {
		rep := request.NewReport(nil, true)
		for i := range n {
			rep.Add(request.Result{ARN: fmt.Sprintf("%sconn-%05d/%032x", "arn:aws:apprunner:us-east-1:123456789012:connection/", i, i), Outcome: request.OutcomeWouldDelete})
		}
		return rep
	})
	pub := &recordingPublisher{}
	h := &trigger.Handler{Runner: runner, Publisher: pub}

	out, err := h.Invoke(context.Background(), []byte(`{"action":"sweep"}`))
	if err != nil {
		t.Fatal(err)
	}

	var rep request.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != trigger.MaxResponseResults || rep.OmittedResults != 5 || rep.Counts[request.OutcomeWouldDelete] != n {
		t.Errorf("response: %d results, %d omitted, counts %v; want %d, 5, all %d counted",
			len(rep.Results), rep.OmittedResults, rep.Counts, trigger.MaxResponseResults, n)
	}
	if got := len(pub.reports[0].Results); got != n {
		t.Errorf("published %d results, want every one of %d", got, n)
	}
}

// runnerFunc is a Runner made of a function.
type runnerFunc func(context.Context, []request.Request) *request.Report

func (f runnerFunc) Run(ctx context.Context, reqs []request.Request) *request.Report {
	return f(ctx, reqs)
}

// moveAccount is Organizations' CloudTrail record of an account moved into
// destination, as EventBridge delivers it.
func moveAccount(account, destination, errorCode string) []byte {
	return []byte(`{"version":"0","id":"mv-1","detail-type":"AWS API Call via CloudTrail","source":"aws.organizations",
		"account":"123456789012","region":"us-east-1","detail":{"eventSource":"organizations.amazonaws.com","eventName":"MoveAccount",
		"errorCode":"` + errorCode + `","requestParameters":{"accountId":"` + account + `","sourceParentId":"ou-abcd-11111111",
		"destinationParentId":"` + destination + `"}}}`)
}

// recordingPlanner plans nothing for real: it records the plans asked for.
type recordingPlanner struct {
	mu    sync.Mutex
	plans []request.Request
	err   string
}

func (p *recordingPlanner) Plan(_ context.Context, req request.Request) request.PlanSummary {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.plans = append(p.plans, req)
	return request.PlanSummary{RequestID: req.ID, PlanID: "plan-1", Action: req.Action, Accounts: req.Plan.AccountIDs, WorkItems: 2, Error: p.err}
}

func TestMoveIntoTheOffboardingOUPlansTheAccountsOffboarding(t *testing.T) {
	const offboardOU = "ou-abcd-offboard"
	tests := []struct {
		name    string
		payload []byte
		planned bool
	}{
		{"moved into the offboarding OU", moveAccount("210987654321", offboardOU, ""), true},
		{"moved elsewhere", moveAccount("210987654321", "ou-abcd-22222222", ""), false},
		{"a move that failed", moveAccount("210987654321", offboardOU, "AccessDeniedException"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			planner := &recordingPlanner{}
			h := &trigger.Handler{Runner: &echoRunner{}, Planner: planner, Options: trigger.Options{OffboardOUID: offboardOU, OffboardDelay: 15 * time.Minute, ProgressQuery: "cleanup/plan-progress"}}

			out, err := h.Invoke(context.Background(), tt.payload)

			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if !tt.planned {
				if len(planner.plans) != 0 {
					t.Errorf("planned %+v, want nothing", planner.plans)
				}
				return
			}
			// The work items wait OFFBOARD_DELAY: time to move a mistaken
			// move back.
			want := []request.Request{{ID: "mv-1", Action: request.ActionOffboard, Plan: &request.Plan{AccountIDs: []string{"210987654321"}}, Delay: 15 * time.Minute}}
			if diff := cmp.Diff(want, planner.plans); diff != "" {
				t.Errorf("plans (-want +got):\n%s", diff)
			}
			var rep request.Report
			if err := json.Unmarshal(out, &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.Plans) != 1 || rep.Plans[0].PlanID != "plan-1" || rep.Plans[0].WorkItems != 2 {
				t.Errorf("response plans %+v, want the plan's summary", rep.Plans)
			}
			// The summary says how to follow the plan.
			if p := rep.Plans[0].Progress; !strings.Contains(p, `"cleanup/plan-progress"`) || !strings.Contains(p, "PLAN_ID replaced by plan-1") {
				t.Errorf("progress %q, want the saved query and the plan ID", p)
			}
		})
	}
}

// TestPlanThatCouldNotBeSentIsRetried: an SQS message carrying a plan whose
// work items were not all sent goes back to the queue; an invocation fails.
func TestPlanThatCouldNotBeSentIsRetried(t *testing.T) {
	planner := &recordingPlanner{err: "3 of 20 work items not sent"}
	h := &trigger.Handler{Runner: &echoRunner{}, Planner: planner}
	plan := `{"action":"sweep","accountIds":["210987654321"]}`

	got := invokeSQS(t, h, sqsPayload(t, [2]string{"p", plan}, [2]string{"d", legacy}))
	if diff := cmp.Diff([]string{"p"}, got); diff != "" {
		t.Errorf("batch item failures (-want +got):\n%s", diff)
	}

	_, err := h.Invoke(context.Background(), []byte(plan))
	var inc *trigger.IncompleteError
	if !errors.As(err, &inc) || inc.Unplanned != 1 || !strings.Contains(err.Error(), "3 of 20 work items not sent") {
		t.Errorf("Invoke error = %v, want an IncompleteError naming the unsent plan", err)
	}
}

// refusingPlanner plans every account but one, which it refuses.
type refusingPlanner struct{}

func (refusingPlanner) Plan(_ context.Context, req request.Request) request.PlanSummary {
	return request.PlanSummary{RequestID: req.ID, PlanID: "plan-9", Action: req.Action, Accounts: []string{"210987654321"}, WorkItems: 1,
		Refused: []request.Refusal{{Subject: "111111111111", Reason: "account 111111111111 is not under ORGANIZATION_OU_IDS"}}}
}

// TestWhatAPlanRefusesIsInvalid: the rest of the plan proceeds, and the
// refused account is an invalid result of the plan's request, so its
// message is retried and ends in the dead-letter queue.
func TestWhatAPlanRefusesIsInvalid(t *testing.T) {
	h := &trigger.Handler{Runner: &echoRunner{}, Planner: refusingPlanner{}}
	plan := `{"action":"offboard","accountIds":["210987654321","111111111111"]}`

	got := invokeSQS(t, h, sqsPayload(t, [2]string{"p", plan}))
	if diff := cmp.Diff([]string{"p"}, got); diff != "" {
		t.Errorf("batch item failures (-want +got):\n%s", diff)
	}

	out, err := h.Invoke(context.Background(), []byte(plan))
	var inc *trigger.IncompleteError
	if !errors.As(err, &inc) || inc.Invalid != 1 || !strings.Contains(err.Error(), "not under ORGANIZATION_OU_IDS") {
		t.Errorf("Invoke error = %v, want an IncompleteError naming the refused account", err)
	}
	var rep request.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].ARN != "111111111111" || rep.Results[0].PlanID != "plan-9" || len(rep.Plans) != 1 {
		t.Errorf("report %+v, want the refusal as plan-9's invalid result beside the plan", rep)
	}
}

// TestPlansWithoutAPlannerAreRefused: the plan is retried (and ends in the
// DLQ), its summary names the setting that is missing, and the runner
// never sees it.
func TestPlansWithoutAPlannerAreRefused(t *testing.T) {
	runner, pub := &echoRunner{}, &recordingPublisher{}
	h := &trigger.Handler{Runner: runner, Publisher: pub}
	got := invokeSQS(t, h, sqsPayload(t, [2]string{"p", `{"action":"sweep","organizationalUnitIds":["ou-abcd-12345678"]}`}))
	if diff := cmp.Diff([]string{"p"}, got); diff != "" {
		t.Errorf("batch item failures (-want +got):\n%s", diff)
	}
	for _, reqs := range runner.requests() {
		if len(reqs) > 0 {
			t.Errorf("the runner was given %+v, want no request", reqs)
		}
	}
	if len(pub.reports) != 1 || len(pub.reports[0].Plans) != 1 || !strings.Contains(pub.reports[0].Plans[0].Error, "CLEANUP_QUEUE_URL") {
		t.Errorf("published %+v, want one plan summary whose error names CLEANUP_QUEUE_URL", pub.reports[0])
	}
}
