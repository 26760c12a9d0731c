package tracing

import (
	"context"
	"strings"
	"sync"

	"github.com/aws/aws-xray-sdk-go/v2/xray"
)

// XRay is a cleanup.Tracer that records each phase as an X-Ray subsegment.
//
// Inside Lambda the context that aws-lambda-go hands to the handler carries
// the invocation's trace header (under xray.LambdaTraceHeaderKey); the SDK
// turns it into a facade segment for the function, so phase subsegments,
// and the AWS calls made inside them, attach to the invocation's trace.
type XRay struct{}

// StartPhase begins a subsegment named after the phase. The returned
// function closes it, once, with the annotations (searchable in X-Ray
// filter expressions) and, when err is not nil, the error as a fault.
func (XRay) StartPhase(ctx context.Context, name string) (context.Context, func(map[string]int64, error)) {
	ctx, seg := xray.BeginSubsegment(ctx, name)
	if seg == nil {
		// No segment and no trace header: the context-missing strategy
		// has already had its say.
		return ctx, func(map[string]int64, error) {}
	}
	var once sync.Once
	return ctx, func(annotations map[string]int64, err error) {
		once.Do(func() {
			for k, v := range annotations {
				// The value is an int, a type the SDK always accepts.
				_ = seg.AddAnnotation(annotationKey(k), int(v))
			}
			seg.Close(err)
		})
	}
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
