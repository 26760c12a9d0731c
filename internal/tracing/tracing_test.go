package tracing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-xray-sdk-go/v2/strategy/sampling"
	"github.com/aws/aws-xray-sdk-go/v2/xray"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
)

var (
	_ cleanup.Tracer = XRay{}
	_ cleanup.Tracer = Noop{}
)

// The trace header the Lambda runtime hands to an invocation, as
// aws-lambda-go stores it in the handler's context.
const lambdaTraceHeader = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

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

func TestInstrumentedCallWithoutTraceContext(t *testing.T) {
	tests := []struct {
		name     string
		enabled  bool
		wantLogs []string
		wantNoop bool
	}{
		{
			name:     "outside Lambda the call succeeds and nothing is logged",
			enabled:  false,
			wantNoop: true,
		},
		{
			name:     "inside Lambda a lost trace context is reported as a warning",
			enabled:  true,
			wantLogs: []string{"x-ray trace context missing"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, nil))
			tracer := setup(t, Options{Enabled: tt.enabled, Logger: logger})
			if _, isNoop := tracer.(Noop); isNoop != tt.wantNoop {
				t.Errorf("Setup() tracer = %T, want Noop: %v", tracer, tt.wantNoop)
			}

			client := instrumentedClient(t)
			if _, err := client.ListConnections(context.Background(), &apprunner.ListConnectionsInput{}); err != nil {
				t.Fatalf("ListConnections() error = %v", err)
			}

			if diff := cmp.Diff(tt.wantLogs, logMessages(t, &logs)); diff != "" {
				t.Errorf("logged messages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestXRayPhaseIsAnnotatedSubsegmentOfLambdaInvocation(t *testing.T) {
	setup(t, Options{Enabled: true})
	daemon, ctx := fakeDaemon(t)
	//lint:ignore SA1029 aws-lambda-go stores the trace header under this string key
	ctx = context.WithValue(ctx, xray.LambdaTraceHeaderKey, lambdaTraceHeader)

	phaseCtx, end := XRay{}.StartPhase(ctx, "index")
	if _, err := instrumentedClient(t).ListConnections(phaseCtx, &apprunner.ListConnectionsInput{}); err != nil {
		t.Fatalf("ListConnections() error = %v", err)
	}
	end(map[string]int64{"connections": 3, "services-in-use": 2}, nil)

	got := daemon.read(t)
	for i := range got.Subsegments {
		// Where the SDK links a nested subsegment is its business.
		got.Subsegments[i].TraceID, got.Subsegments[i].ParentID = "", ""
	}
	want := segmentDoc{
		Name:        "index",
		Type:        "subsegment",
		TraceID:     "1-5759e988-bd862e3fe1be46a994272793",
		ParentID:    "53995c3f42cd8ad8",
		Annotations: map[string]any{"connections": 3.0, "services_in_use": 2.0},
		Subsegments: []segmentDoc{{Name: "AppRunner", Namespace: "aws", AWS: map[string]any{"operation": "ListConnections", "region": "eu-west-1", "request_id": "req-1"}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("emitted subsegment (-want +got):\n%s", diff)
	}
}

func TestXRayPhaseRecordsErrorAsFault(t *testing.T) {
	setup(t, Options{Enabled: true})
	daemon, ctx := fakeDaemon(t)
	ctx, root := xray.BeginSegment(ctx, "handler")

	_, end := XRay{}.StartPhase(ctx, "delete")
	end(map[string]int64{"deleted": 1}, errors.New("deadline reached"))
	end(map[string]int64{"deleted": 99}, nil) // a second call is ignored
	root.Close(nil)

	got := daemon.read(t)
	if len(got.Subsegments) != 1 {
		t.Fatalf("segment has %d subsegments, want 1: %+v", len(got.Subsegments), got)
	}
	phase := got.Subsegments[0]
	if diff := cmp.Diff(map[string]any{"deleted": 1.0}, phase.Annotations); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
	if !phase.Fault || phase.Cause == nil || len(phase.Cause.Exceptions) != 1 || phase.Cause.Exceptions[0].Message != "deadline reached" {
		t.Errorf("phase fault = %v, cause = %+v; want a fault with the error's message", phase.Fault, phase.Cause)
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

// setup runs Setup and restores the quiet, disabled configuration when the
// test ends, since Setup changes the SDK's globals.
func setup(t *testing.T, opts Options) cleanup.Tracer {
	t.Helper()
	tracer, err := Setup(opts)
	if err != nil {
		t.Fatalf("Setup() error = %v", err)
	}
	t.Cleanup(func() {
		if _, err := Setup(Options{}); err != nil {
			t.Errorf("Setup() restore error = %v", err)
		}
	})
	return tracer
}

// instrumentedClient is a real App Runner client, instrumented, against a
// server that answers every call with an empty connection list.
func instrumentedClient(t *testing.T) *apprunner.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Requestid", "req-1")
		_, _ = w.Write([]byte(`{"ConnectionSummaryList":[]}`))
	}))
	t.Cleanup(srv.Close)

	cfg := aws.Config{
		Region:      "eu-west-1",
		Credentials: aws.AnonymousCredentials{},
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
	XRay{}.InstrumentAWS(&cfg)
	return apprunner.NewFromConfig(cfg, func(o *apprunner.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
	})
}

// daemon is a UDP socket standing in for the X-Ray daemon; the SDK's own
// emitter sends it what it would send in Lambda.
type daemon struct {
	conn *net.UDPConn
}

// fakeDaemon starts a daemon and returns a context whose recorder sends
// segments to it and samples everything.
func fakeDaemon(t *testing.T) (*daemon, context.Context) {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatalf("listen udp: %v", err)
	}
	t.Cleanup(func() { conn.Close() })

	addr := conn.LocalAddr().(*net.UDPAddr)
	emitter, err := xray.NewDefaultEmitter(addr)
	if err != nil {
		t.Fatalf("NewDefaultEmitter() error = %v", err)
	}
	ctx, err := xray.ContextWithConfig(context.Background(), xray.Config{
		DaemonAddr:       addr.String(),
		Emitter:          emitter,
		SamplingStrategy: sampleAll{},
	})
	if err != nil {
		t.Fatalf("ContextWithConfig() error = %v", err)
	}
	return &daemon{conn: conn}, ctx
}

// read returns the next segment document the daemon receives.
func (d *daemon) read(t *testing.T) segmentDoc {
	t.Helper()
	if err := d.conn.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatalf("set deadline: %v", err)
	}
	buf := make([]byte, 64*1024)
	n, err := d.conn.Read(buf)
	if err != nil {
		t.Fatalf("read segment: %v", err)
	}
	header, body, ok := strings.Cut(string(buf[:n]), "\n")
	if !ok || !strings.Contains(header, `"format": "json"`) {
		t.Fatalf("datagram %q lacks the daemon protocol header", buf[:n])
	}
	var doc segmentDoc
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("decode segment %s: %v", body, err)
	}
	return doc
}

// segmentDoc is the part of an X-Ray segment document the tests look at.
type segmentDoc struct {
	Name        string         `json:"name"`
	Type        string         `json:"type,omitempty"`
	TraceID     string         `json:"trace_id,omitempty"`
	ParentID    string         `json:"parent_id,omitempty"`
	Namespace   string         `json:"namespace,omitempty"`
	Annotations map[string]any `json:"annotations,omitempty"`
	AWS         map[string]any `json:"aws,omitempty"`
	Fault       bool           `json:"fault,omitempty"`
	Cause       *struct {
		Exceptions []struct {
			Message string `json:"message"`
		} `json:"exceptions"`
	} `json:"cause,omitempty"`
	Subsegments []segmentDoc `json:"subsegments,omitempty"`
}

type sampleAll struct{}

func (sampleAll) ShouldTrace(*sampling.Request) *sampling.Decision {
	return &sampling.Decision{Sample: true}
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
