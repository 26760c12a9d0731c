package tracing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/google/go-cmp/cmp"
)

var (
	_ Tracer = (*XRay)(nil)
	_ Tracer = Noop{}
)

// The trace header the Lambda runtime hands to a sampled invocation.
const (
	traceRoot         = "1-5759e988-bd862e3fe1be46a994272793"
	functionSegment   = "53995c3f42cd8ad8"
	lambdaTraceHeader = "Root=" + traceRoot + ";Parent=" + functionSegment + ";Sampled=1"
)

// invocation returns a context as aws-lambda-go gives it to the handler:
// the trace header under its string key.
func invocation(header string) context.Context {
	//lint:ignore SA1029 aws-lambda-go stores the trace header under this string key
	return context.WithValue(context.Background(), lambdaTraceHeaderKey, header)
}

func TestInLambda(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"function name set", map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "cleanup"}, true},
		{"trace id set", map[string]string{"_X_AMZN_TRACE_ID": lambdaTraceHeader}, true},
		{"neither set", map[string]string{"HOME": "/root"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := InLambda(func(k string) string { return tt.env[k] })
			if got != tt.want {
				t.Errorf("InLambda() = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestPhaseAndCallsAreSubsegmentsOfTheInvocation: a phase is a subsegment
// of the Lambda function's segment named by the trace header, with its
// annotations; a call made in it is a subsegment of the phase; a call made
// outside any phase is one of the function's segment.
func TestPhaseAndCallsAreSubsegmentsOfTheInvocation(t *testing.T) {
	d := listenDaemon(t)
	tracer := setup(t, Options{Enabled: true, DaemonAddress: d.addr()})
	client := instrumentedClient(t, tracer, aws.NopRetryer{}, reply{status: 200, requestID: "req-1"})
	ctx := invocation(lambdaTraceHeader)

	before := time.Now()
	phaseCtx, end := tracer.StartPhase(ctx, "index")
	if _, err := client.ListConnections(phaseCtx, &apprunner.ListConnectionsInput{}); err != nil {
		t.Fatalf("ListConnections() error = %v", err)
	}
	end(map[string]int64{"connections": 3, "services-in-use": 2}, nil)
	if _, err := client.ListConnections(ctx, &apprunner.ListConnectionsInput{}); err != nil {
		t.Fatalf("ListConnections() error = %v", err)
	}
	after := time.Now()

	inPhase, phase, outside := d.read(t), d.read(t), d.read(t)
	for _, doc := range []*segmentDoc{inPhase, phase, outside} {
		checkTimes(t, doc, before, after)
	}
	if inPhase.ParentID != phase.ID {
		t.Errorf("call in phase has parent_id %q, want the phase's id %q", inPhase.ParentID, phase.ID)
	}
	if inPhase.ID == outside.ID || inPhase.ID == phase.ID {
		t.Errorf("subsegment ids repeat: %q %q %q", inPhase.ID, phase.ID, outside.ID)
	}
	clearIDs(inPhase, phase, outside)

	call := segmentDoc{
		Name: "AppRunner", TraceID: traceRoot, Type: "subsegment", Namespace: "aws",
		AWS:  map[string]any{"operation": "ListConnections", "region": "eu-west-1", "request_id": "req-1"},
		HTTP: map[string]any{"response": map[string]any{"status": 200.0, "content_length": float64(len(listBody))}},
	}
	wantPhase := segmentDoc{
		Name: "index", TraceID: traceRoot, ParentID: functionSegment, Type: "subsegment",
		Annotations: map[string]any{"connections": 3.0, "services_in_use": 2.0},
	}
	wantOutside := call
	wantOutside.ParentID = functionSegment
	if diff := cmp.Diff([]segmentDoc{call, wantPhase, wantOutside}, []segmentDoc{*inPhase, *phase, *outside}); diff != "" {
		t.Errorf("sent documents (-want +got):\n%s", diff)
	}
}

// TestCallOutcome: every attempt is seen; the subsegment carries the last
// attempt's status and request ID, the number of retries, and the flags and
// cause X-Ray colours a call by.
func TestCallOutcome(t *testing.T) {
	const maxAttempts = 3
	tests := []struct {
		name    string
		replies []reply
		want    segmentDoc
	}{
		{
			name:    "retried after a server error, then succeeded",
			replies: []reply{{status: 500, errType: "InternalServiceErrorException", requestID: "req-a"}, {status: 200, requestID: "req-b"}},
			want: segmentDoc{
				AWS:  map[string]any{"request_id": "req-b", "retries": 1.0},
				HTTP: map[string]any{"response": map[string]any{"status": 200.0, "content_length": float64(len(listBody))}},
			},
		},
		{
			name:    "a response of unknown length",
			replies: []reply{{status: 200, requestID: "req-z", chunked: true}},
			want: segmentDoc{
				AWS:  map[string]any{"request_id": "req-z"},
				HTTP: map[string]any{"response": map[string]any{"status": 200.0}},
			},
		},
		{
			name:    "a client error is an error, not retried",
			replies: []reply{{status: 400, errType: "ResourceNotFoundException", requestID: "req-c"}},
			want: segmentDoc{
				AWS:   map[string]any{"request_id": "req-c"},
				HTTP:  map[string]any{"response": map[string]any{"status": 400.0, "content_length": float64(len(errorBody("ResourceNotFoundException")))}},
				Error: true, Cause: &causeDoc{Exceptions: []exceptionDoc{{Type: "ResourceNotFoundException", Remote: true}}},
			},
		},
		{
			name: "throttled on every attempt",
			replies: []reply{
				{status: 400, errType: "ThrottlingException", requestID: "req-d"},
				{status: 400, errType: "ThrottlingException", requestID: "req-e"},
				{status: 400, errType: "ThrottlingException", requestID: "req-f"},
			},
			want: segmentDoc{
				AWS:   map[string]any{"request_id": "req-f", "retries": 2.0},
				HTTP:  map[string]any{"response": map[string]any{"status": 400.0, "content_length": float64(len(errorBody("ThrottlingException")))}},
				Error: true, Throttle: true, Cause: &causeDoc{Exceptions: []exceptionDoc{{Type: "ThrottlingException", Remote: true}}},
			},
		},
		{
			name:    "HTTP 429 is a throttle",
			replies: []reply{{status: 429, errType: "TooManyRequestsException", requestID: "req-g"}, {status: 429, errType: "TooManyRequestsException", requestID: "req-h"}, {status: 429, errType: "TooManyRequestsException", requestID: "req-i"}},
			want: segmentDoc{
				AWS:   map[string]any{"request_id": "req-i", "retries": 2.0},
				HTTP:  map[string]any{"response": map[string]any{"status": 429.0, "content_length": float64(len(errorBody("TooManyRequestsException")))}},
				Error: true, Throttle: true, Cause: &causeDoc{Exceptions: []exceptionDoc{{Type: "TooManyRequestsException", Remote: true}}},
			},
		},
		{
			name:    "no response at all is a fault",
			replies: []reply{{hangUp: true}, {hangUp: true}, {hangUp: true}},
			want: segmentDoc{
				AWS:   map[string]any{"retries": 2.0},
				Fault: true, Cause: &causeDoc{Exceptions: []exceptionDoc{{}}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := listenDaemon(t)
			tracer := setup(t, Options{Enabled: true, DaemonAddress: d.addr()})
			retryer := retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = maxAttempts
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
				o.RateLimiter = ratelimit.None
			})
			client := instrumentedClient(t, tracer, retryer, tt.replies...)

			_, callErr := client.ListConnections(invocation(lambdaTraceHeader), &apprunner.ListConnectionsInput{})
			if (callErr != nil) != (tt.want.Cause != nil) {
				t.Fatalf("ListConnections() error = %v, want an error: %v", callErr, tt.want.Cause != nil)
			}

			got := d.read(t)
			if got.Cause != nil {
				for i, e := range got.Cause.Exceptions {
					// The SDK names the service and operation outside the
					// middleware; the subsegment names them already.
					if !hexID.MatchString(e.ID) || e.Message == "" || !strings.HasSuffix(callErr.Error(), e.Message) {
						t.Errorf("exception %d = %+v, want a 16-hex-digit id and the end of the error's message %q", i, e, callErr.Error())
					}
					got.Cause.Exceptions[i].ID, got.Cause.Exceptions[i].Message = "", ""
				}
			}
			clearIDs(got)
			got.StartTime, got.EndTime = 0, 0
			want := tt.want
			want.Name, want.TraceID, want.ParentID, want.Type, want.Namespace = "AppRunner", traceRoot, functionSegment, "subsegment", "aws"
			want.AWS["operation"], want.AWS["region"] = "ListConnections", "eu-west-1"
			if diff := cmp.Diff(want, *got); diff != "" {
				t.Errorf("call subsegment (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPhaseErrorIsFaultAndEndsOnce(t *testing.T) {
	d := listenDaemon(t)
	tracer := setup(t, Options{Enabled: true, DaemonAddress: d.addr()})

	_, end := tracer.StartPhase(invocation(lambdaTraceHeader), "delete")
	end(map[string]int64{"deleted": 1}, errors.New("deadline reached"))
	end(map[string]int64{"deleted": 99}, nil) // a second end is ignored
	_, next := tracer.StartPhase(invocation(lambdaTraceHeader), "next")
	next(nil, nil)

	got := d.read(t)
	if got.Cause == nil || len(got.Cause.Exceptions) != 1 || !hexID.MatchString(got.Cause.Exceptions[0].ID) {
		t.Fatalf("cause = %+v, want one exception with an id", got.Cause)
	}
	clearIDs(got)
	got.StartTime, got.EndTime, got.Cause.Exceptions[0].ID = 0, 0, ""
	want := segmentDoc{
		Name: "delete", TraceID: traceRoot, ParentID: functionSegment, Type: "subsegment",
		Annotations: map[string]any{"deleted": 1.0},
		Fault:       true, Cause: &causeDoc{Exceptions: []exceptionDoc{{Message: "deadline reached"}}},
	}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("phase subsegment (-want +got):\n%s", diff)
	}
	if got := d.read(t); got.Name != "next" {
		t.Errorf("after the phase, the daemon received %q, want the next phase: the second end sent something", got.Name)
	}
}

// TestNothingSent: outside Lambda, for an invocation that is not sampled or
// has no trace header, and for a context that lost its invocation, nothing
// reaches the daemon, every call succeeds, and only the lost context is
// logged, once.
func TestNothingSent(t *testing.T) {
	tests := []struct {
		name     string
		enabled  bool
		ctx      context.Context
		wantLogs []string
	}{
		{name: "outside Lambda", enabled: false, ctx: invocation(lambdaTraceHeader)},
		{name: "not sampled", enabled: true, ctx: invocation("Root=" + traceRoot + ";Parent=" + functionSegment + ";Sampled=0")},
		{name: "no trace header from the runtime", enabled: true, ctx: invocation("")},
		{name: "header without a parent", enabled: true, ctx: invocation("Root=" + traceRoot + ";Sampled=1")},
		{
			name: "context without the invocation", enabled: true, ctx: context.Background(),
			wantLogs: []string{"x-ray trace context missing: an AWS call or phase ran with a context that does not come from the invocation, so it is not traced; later ones are not logged"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := listenDaemon(t)
			var logs bytes.Buffer
			tracer := setup(t, Options{Enabled: tt.enabled, Logger: slog.New(slog.NewJSONHandler(&logs, nil)), DaemonAddress: d.addr()})
			if _, isNoop := tracer.(Noop); isNoop == tt.enabled {
				t.Errorf("Setup(Enabled: %v) = %T", tt.enabled, tracer)
			}
			client := instrumentedClient(t, tracer, aws.NopRetryer{}, reply{status: 200}, reply{status: 200})

			phaseCtx, end := tracer.StartPhase(tt.ctx, "index")
			for range 2 {
				if _, err := client.ListConnections(phaseCtx, &apprunner.ListConnectionsInput{}); err != nil {
					t.Fatalf("ListConnections() error = %v", err)
				}
			}
			end(map[string]int64{"connections": 1}, errors.New("ignored"))

			d.expectNothing(t)
			if diff := cmp.Diff(tt.wantLogs, logMessages(t, &logs)); diff != "" {
				t.Errorf("logged messages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNoopReturnsContextUnchanged(t *testing.T) {
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "v")
	got, end := Noop{}.StartPhase(ctx, "index")
	end(map[string]int64{"connections": 1}, errors.New("ignored"))
	if got != ctx {
		t.Errorf("StartPhase() returned a different context")
	}
}

// TestConcurrentCallsInOnePhase runs the engine's way: calls from many
// goroutines under one phase, each its own subsegment of it.
func TestConcurrentCallsInOnePhase(t *testing.T) {
	const calls = 16
	d := listenDaemon(t)
	tracer := setup(t, Options{Enabled: true, DaemonAddress: d.addr()})
	replies := make([]reply, calls)
	for i := range replies {
		replies[i] = reply{status: 200, requestID: fmt.Sprintf("req-%d", i)}
	}
	client := instrumentedClient(t, tracer, aws.NopRetryer{}, replies...)

	phaseCtx, end := tracer.StartPhase(invocation(lambdaTraceHeader), "delete")
	var wg sync.WaitGroup
	for range calls {
		wg.Go(func() {
			if _, err := client.ListConnections(phaseCtx, &apprunner.ListConnectionsInput{}); err != nil {
				t.Errorf("ListConnections() error = %v", err)
			}
		})
	}
	wg.Wait()
	end(nil, nil)

	requestIDs, parents := map[any]bool{}, map[string]bool{}
	for range calls {
		doc := d.read(t)
		if doc.Name != "AppRunner" {
			t.Fatalf("received %q before the %d calls, want calls first", doc.Name, calls)
		}
		requestIDs[doc.AWS["request_id"]] = true
		parents[doc.ParentID] = true
	}
	phase := d.read(t)
	if len(requestIDs) != calls {
		t.Errorf("%d distinct request IDs, want %d", len(requestIDs), calls)
	}
	if diff := cmp.Diff(map[string]bool{phase.ID: true}, parents); diff != "" {
		t.Errorf("parent_id of the calls (-the phase's id +got):\n%s", diff)
	}
}

func TestInstrumentAWSTwiceTracesOnce(t *testing.T) {
	d := listenDaemon(t)
	tracer := setup(t, Options{Enabled: true, DaemonAddress: d.addr()})
	cfg := aws.Config{}
	tracer.InstrumentAWS(&cfg)
	client := instrumentedClientFrom(t, cfg, tracer, aws.NopRetryer{}, reply{status: 200, requestID: "once"})

	if _, err := client.ListConnections(invocation(lambdaTraceHeader), &apprunner.ListConnectionsInput{}); err != nil {
		t.Fatalf("ListConnections() error = %v", err)
	}
	if got := d.read(t); got.AWS["request_id"] != "once" {
		t.Errorf("request_id = %v, want once", got.AWS["request_id"])
	}
	d.expectNothing(t)
}

func TestDaemonUDPAddress(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "", want: "127.0.0.1:2000"},
		{in: "169.254.79.129:2000", want: "169.254.79.129:2000"},
		{in: "tcp:127.0.0.1:2000 udp:169.254.79.129:2001", want: "169.254.79.129:2001"},
		{in: "udp:10.0.0.1:2000 tcp:10.0.0.2:2000", want: "10.0.0.1:2000"},
		{in: "[::1]:2000", want: "[::1]:2000"},
		{in: "localhost", wantErr: true},
		{in: "tcp:127.0.0.1:2000", wantErr: true},
		{in: "127.0.0.1:http", wantErr: true},
		{in: ":2000", wantErr: true},
		{in: "127.0.0.1:70000", wantErr: true},
	}
	for _, tt := range tests {
		got, err := daemonUDPAddress(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("daemonUDPAddress(%q) = %q, %v; want %q, error: %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if _, err := Setup(Options{Enabled: true, DaemonAddress: "localhost"}); err == nil || !strings.Contains(err.Error(), "AWS_XRAY_DAEMON_ADDRESS") {
		t.Errorf("Setup() with a malformed daemon address: error = %v, want one naming AWS_XRAY_DAEMON_ADDRESS", err)
	}
}

// TestDaemonReportsFirstFailureOnly: UDP gives no sign of lost traces but
// the send errors, so the first is logged, the rest are not.
func TestDaemonReportsFirstFailureOnly(t *testing.T) {
	var logs bytes.Buffer
	d := &daemon{addr: "127.0.0.1:2000", logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	d.report(errors.New("connection refused"))
	d.report(errors.New("connection refused"))
	want := []string{"x-ray segments cannot be sent to the daemon; later failures are not logged"}
	if diff := cmp.Diff(want, logMessages(t, &logs)); diff != "" {
		t.Errorf("logged messages (-want +got):\n%s", diff)
	}
}

func TestParseTraceHeader(t *testing.T) {
	tests := []struct {
		in     string
		want   traceParent
		wantOK bool
	}{
		{in: lambdaTraceHeader, want: traceParent{traceID: traceRoot, id: functionSegment}, wantOK: true},
		{in: "Root=" + traceRoot + "; Parent=" + functionSegment + "; Sampled=1; Lineage=a87bd80c:1", want: traceParent{traceID: traceRoot, id: functionSegment}, wantOK: true},
		{in: "Root=" + traceRoot + ";Parent=" + functionSegment + ";Sampled=0", want: traceParent{traceID: traceRoot, id: functionSegment}},
		{in: "Root=" + traceRoot + ";Parent=" + functionSegment, want: traceParent{traceID: traceRoot, id: functionSegment}},
		{in: ""},
	}
	for _, tt := range tests {
		got, ok := parseTraceHeader(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseTraceHeader(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestAnnotationKey(t *testing.T) {
	tests := map[string]string{
		"connections":     "connections",
		"in-use services": "in_use_services",
		"api.calls_2":     "api_calls_2",
	}
	for in, want := range tests {
		if got := annotationKey(in); got != want {
			t.Errorf("annotationKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func setup(t *testing.T, opts Options) Tracer {
	t.Helper()
	tracer, err := Setup(opts)
	if err != nil {
		t.Fatalf("Setup() error = %v", err)
	}
	return tracer
}

// reply is one answer of the test App Runner server.
type reply struct {
	status    int
	errType   string // the __type of an error body
	requestID string
	hangUp    bool // close the connection without answering
	chunked   bool // send no Content-Length
}

const listBody = `{"ConnectionSummaryList":[]}`

func errorBody(errType string) string {
	return `{"__type":"` + errType + `","message":"test error"}`
}

// instrumentedClient is a real App Runner client, instrumented by tracer,
// against a server that gives replies in turn (and the last one again when
// they run out).
func instrumentedClient(t *testing.T, tracer Tracer, retryer aws.Retryer, replies ...reply) *apprunner.Client {
	t.Helper()
	return instrumentedClientFrom(t, aws.Config{}, tracer, retryer, replies...)
}

// instrumentedClientFrom is instrumentedClient from cfg, which it
// instruments in turn.
func instrumentedClientFrom(t *testing.T, cfg aws.Config, tracer Tracer, retryer aws.Retryer, replies ...reply) *apprunner.Client {
	t.Helper()
	var (
		mu   sync.Mutex
		next int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		rp := replies[min(next, len(replies)-1)]
		next++
		mu.Unlock()
		if rp.hangUp {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Requestid", rp.requestID)
		body := listBody
		if rp.errType != "" {
			body = errorBody(rp.errType)
		}
		if !rp.chunked {
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		}
		w.WriteHeader(rp.status)
		if rp.chunked {
			_ = http.NewResponseController(w).Flush()
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)

	cfg.Region = "eu-west-1"
	cfg.Credentials = aws.AnonymousCredentials{}
	cfg.Retryer = func() aws.Retryer { return retryer }
	tracer.InstrumentAWS(&cfg)
	return apprunner.NewFromConfig(cfg, func(o *apprunner.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
	})
}

// udpDaemon is a UDP socket standing in for the X-Ray daemon.
type udpDaemon struct {
	conn *net.UDPConn
}

func listenDaemon(t *testing.T) *udpDaemon {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatalf("listen udp: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return &udpDaemon{conn: conn}
}

func (d *udpDaemon) addr() string { return d.conn.LocalAddr().String() }

// read returns the next segment document the daemon receives, checked
// against the daemon protocol and decoded strictly: a field the test does
// not know fails it.
func (d *udpDaemon) read(t *testing.T) *segmentDoc {
	t.Helper()
	if err := d.conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatalf("set deadline: %v", err)
	}
	buf := make([]byte, 64*1024)
	n, err := d.conn.Read(buf)
	if err != nil {
		t.Fatalf("read segment: %v", err)
	}
	body, ok := bytes.CutPrefix(buf[:n], []byte("{\"format\":\"json\",\"version\":1}\n"))
	if !ok {
		t.Fatalf("datagram %q lacks the daemon protocol header", buf[:n])
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var doc segmentDoc
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("decode segment %s: %v", body, err)
	}
	if !hexID.MatchString(doc.ID) || !traceID.MatchString(doc.TraceID) || !hexID.MatchString(doc.ParentID) {
		t.Errorf("segment %s: want id and parent_id of 16 hex digits and an X-Ray trace_id", body)
	}
	return &doc
}

// expectNothing fails if the daemon receives a datagram within a short
// while.
func (d *udpDaemon) expectNothing(t *testing.T) {
	t.Helper()
	if err := d.conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
		t.Fatalf("set deadline: %v", err)
	}
	buf := make([]byte, 64*1024)
	if n, err := d.conn.Read(buf); err == nil {
		t.Errorf("daemon received %q, want nothing", buf[:n])
	}
}

var (
	hexID   = regexp.MustCompile(`^[0-9a-f]{16}$`)
	traceID = regexp.MustCompile(`^1-[0-9a-f]{8}-[0-9a-f]{24}$`)
)

// segmentDoc is a subsegment document as the tests read it.
type segmentDoc struct {
	Name        string         `json:"name"`
	ID          string         `json:"id"`
	TraceID     string         `json:"trace_id"`
	ParentID    string         `json:"parent_id"`
	Type        string         `json:"type"`
	StartTime   float64        `json:"start_time"`
	EndTime     float64        `json:"end_time"`
	Namespace   string         `json:"namespace,omitempty"`
	Error       bool           `json:"error,omitempty"`
	Throttle    bool           `json:"throttle,omitempty"`
	Fault       bool           `json:"fault,omitempty"`
	Cause       *causeDoc      `json:"cause,omitempty"`
	Annotations map[string]any `json:"annotations,omitempty"`
	AWS         map[string]any `json:"aws,omitempty"`
	HTTP        map[string]any `json:"http,omitempty"`
}

type causeDoc struct {
	Exceptions []exceptionDoc `json:"exceptions"`
}

type exceptionDoc struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	Type    string `json:"type,omitempty"`
	Remote  bool   `json:"remote,omitempty"`
}

// checkTimes checks that a subsegment lies within [before, after] and then
// clears its times.
func checkTimes(t *testing.T, doc *segmentDoc, before, after time.Time) {
	t.Helper()
	lo, hi := float64(before.UnixMicro())/1e6-1e-6, float64(after.UnixMicro())/1e6+1e-6
	if doc.StartTime < lo || doc.EndTime < doc.StartTime || doc.EndTime > hi {
		t.Errorf("%s: start_time %f, end_time %f; want %f <= start <= end <= %f", doc.Name, doc.StartTime, doc.EndTime, lo, hi)
	}
	doc.StartTime, doc.EndTime = 0, 0
}

// clearIDs clears the generated ids (and the parent_id of a call in a
// phase, which the test checks against the phase's id).
func clearIDs(docs ...*segmentDoc) {
	for _, doc := range docs {
		doc.ID = ""
		if doc.ParentID != functionSegment {
			doc.ParentID = ""
		}
	}
}

// logMessages returns the message of every JSON line in buf.
func logMessages(t *testing.T, buf *bytes.Buffer) []string {
	t.Helper()
	var msgs []string
	for line := range strings.Lines(buf.String()) {
		var rec struct {
			Msg string `json:"msg"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("decode log line %q: %v", line, err)
		}
		msgs = append(msgs, rec.Msg)
	}
	return msgs
}
