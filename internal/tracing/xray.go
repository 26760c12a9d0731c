package tracing

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go"
)

// XRay is a Tracer that sends each phase, and each AWS call once
// InstrumentAWS has been applied, to the X-Ray daemon as a subsegment of
// the invocation's trace. Setup makes it.
//
// Each subsegment is sent on its own, as soon as it ends, with the ID of
// its parent: the Lambda function's segment for a phase (the Parent of the
// invocation's trace header), the phase for a call. X-Ray assembles the
// tree; no document grows with the number of calls, so none comes near the
// daemon's 64 kB limit.
type XRay struct {
	daemon *daemon
	logger *slog.Logger
	// missing reports the first lost trace context, once.
	missing sync.Once
}

// StartPhase begins a subsegment named after the phase. The returned
// function ends it, once, with the annotations (searchable in X-Ray filter
// expressions) and, when err is not nil, the error as a fault; later calls
// do nothing. Without a sampled trace in ctx both do nothing.
func (x *XRay) StartPhase(ctx context.Context, name string) (context.Context, func(map[string]int64, error)) {
	parent, ok := x.parent(ctx)
	if !ok {
		return ctx, func(map[string]int64, error) {}
	}
	seg := parent.child(name)
	var once sync.Once
	return withParent(ctx, seg), func(annotations map[string]int64, err error) {
		once.Do(func() {
			if len(annotations) > 0 {
				seg.Annotations = make(map[string]int64, len(annotations))
				for k, v := range annotations {
					seg.Annotations[annotationKey(k)] = v
				}
			}
			if err != nil {
				seg.Fault = true
				seg.Cause = causeOf(err)
			}
			x.daemon.send(seg.end())
		})
	}
}

// lambdaTraceHeaderKey is the context key under which aws-lambda-go stores
// the invocation's trace header (a plain string key, its choice).
const lambdaTraceHeaderKey = "x-amzn-trace-id"

// traceParent is where a new subsegment attaches: its trace, and the
// segment or subsegment it belongs to.
type traceParent struct {
	traceID, id string
}

type parentKey struct{}

// withParent makes seg the parent of the subsegments begun under ctx.
func withParent(ctx context.Context, seg *segment) context.Context {
	return context.WithValue(ctx, parentKey{}, traceParent{traceID: seg.TraceID, id: seg.ID})
}

// parent finds where a subsegment begun under ctx attaches: the phase or
// call under way, or else the Lambda function's segment named by the
// invocation's trace header. It reports false when there is nothing to
// send: an invocation that is not sampled, one the runtime gave no trace
// header (the Runtime Interface Emulator, without one in the request), or
// a context that lost its invocation, which it reports once as a warning.
func (x *XRay) parent(ctx context.Context) (traceParent, bool) {
	if p, ok := ctx.Value(parentKey{}).(traceParent); ok {
		return p, true
	}
	header, ok := ctx.Value(lambdaTraceHeaderKey).(string)
	if !ok {
		x.missing.Do(func() {
			if x.logger != nil {
				x.logger.WarnContext(ctx, "x-ray trace context missing: an AWS call or phase ran with a context that does not come from the invocation, so it is not traced; later ones are not logged")
			}
		})
		return traceParent{}, false
	}
	return parseTraceHeader(header)
}

// parseTraceHeader reads an X-Ray trace header, such as
// "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".
// It reports true only for a sampled trace with a root and a parent.
func parseTraceHeader(h string) (traceParent, bool) {
	var (
		p       traceParent
		sampled bool
	)
	for field := range strings.SplitSeq(h, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(field), "=")
		switch k {
		case "Root":
			p.traceID = v
		case "Parent":
			p.id = v
		case "Sampled":
			sampled = v == "1"
		}
	}
	return p, sampled && p.traceID != "" && p.id != ""
}

// segment is an X-Ray subsegment document, sent on its own (hence its
// trace_id, parent_id and type). See "AWS X-Ray segment documents" in the
// X-Ray developer guide.
type segment struct {
	Name      string  `json:"name"`
	ID        string  `json:"id"`
	TraceID   string  `json:"trace_id"`
	ParentID  string  `json:"parent_id"`
	Type      string  `json:"type"`
	StartTime float64 `json:"start_time"`
	EndTime   float64 `json:"end_time"`
	// Namespace is "aws" for AWS calls, which X-Ray shows as downstream
	// nodes of the function in the trace map.
	Namespace string `json:"namespace,omitempty"`
	// Error is a client error (4xx), Throttle a throttled call, Fault a
	// server error (5xx) or a failure without a response.
	Error       bool             `json:"error,omitempty"`
	Throttle    bool             `json:"throttle,omitempty"`
	Fault       bool             `json:"fault,omitempty"`
	Cause       *cause           `json:"cause,omitempty"`
	Annotations map[string]int64 `json:"annotations,omitempty"`
	AWS         *awsCall         `json:"aws,omitempty"`
	HTTP        *httpCall        `json:"http,omitempty"`

	start time.Time
}

type cause struct {
	Exceptions []exception `json:"exceptions"`
}

type exception struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	// Type is the AWS error code, when there is one.
	Type string `json:"type,omitempty"`
	// Remote says that the error came from the service called.
	Remote bool `json:"remote,omitempty"`
}

// child begins a subsegment of p, now.
func (p traceParent) child(name string) *segment {
	now := time.Now()
	return &segment{
		Name: name, ID: newID(), TraceID: p.traceID, ParentID: p.id, Type: "subsegment",
		StartTime: epochSeconds(now), start: now,
	}
}

// end sets the end time, from the monotonic clock so that a duration is
// never negative, and returns the segment for sending.
func (s *segment) end() *segment {
	s.EndTime = s.StartTime + time.Since(s.start).Seconds()
	return s
}

func epochSeconds(t time.Time) float64 {
	return float64(t.UnixMicro()) / 1e6
}

// newID returns a new segment or exception ID: 64 random bits in 16 hex
// digits.
func newID() string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], rand.Uint64())
	return hex.EncodeToString(b[:])
}

// causeOf describes err for X-Ray: its message, and for an error the AWS
// service returned, its code.
func causeOf(err error) *cause {
	e := exception{ID: newID(), Message: err.Error()}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		e.Type, e.Remote = apiErr.ErrorCode(), true
	}
	return &cause{Exceptions: []exception{e}}
}

// annotationKey maps a key to the characters X-Ray indexes for filter
// expressions (letters, digits, underscore); X-Ray drops other keys.
func annotationKey(k string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			return r
		}
		return '_'
	}, k)
}
