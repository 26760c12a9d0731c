package tracing

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// IDs of the middleware InstrumentAWS adds to every operation's stack.
const (
	callMiddlewareID    = "XRayCall"
	attemptMiddlewareID = "XRayAttempt"
)

// InstrumentAWS makes every call of clients built from cfg an X-Ray
// subsegment of the phase (or invocation) in the call's context: named
// after the service, in the "aws" namespace, with the operation, region,
// request ID, retries and HTTP status of the last attempt. Call it on the
// aws.Config before creating clients; a second call changes nothing.
//
// The call's subsegment is begun in the Initialize step, around the whole
// call, retries and their back-off included; a Finalize middleware after
// the retry middleware sees every attempt and records its response.
func (x *XRay) InstrumentAWS(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, x.addMiddleware)
}

func (x *XRay) addMiddleware(stack *middleware.Stack) error {
	if _, ok := stack.Initialize.Get(callMiddlewareID); ok {
		return nil
	}
	// After the SDK's own Initialize middleware, which puts the service,
	// operation and region in the context.
	if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc(callMiddlewareID, x.traceCall), middleware.After); err != nil {
		return err
	}
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc(attemptMiddlewareID, recordAttempt), middleware.After)
}

// call is what the attempts of one call tell its subsegment. Attempts run
// one after the other on the call's goroutine, so it needs no lock.
type call struct {
	attempts      int
	status        int
	contentLength int64
	requestID     string
}

type callKey struct{}

func (x *XRay) traceCall(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	middleware.InitializeOutput, middleware.Metadata, error,
) {
	parent, ok := x.parent(ctx)
	if !ok {
		return next.HandleInitialize(ctx, in)
	}
	seg := parent.child(awsmiddleware.GetServiceID(ctx))
	seg.Namespace = "aws"
	c := &call{}
	// Calls made on behalf of this one (credentials assumed for it) nest
	// under it.
	callCtx := context.WithValue(withParent(ctx, seg), callKey{}, c)
	out, md, err := next.HandleInitialize(callCtx, in)

	seg.AWS = &awsCall{
		Operation: awsmiddleware.GetOperationName(ctx),
		Region:    awsmiddleware.GetRegion(ctx),
		RequestID: c.requestID,
		Retries:   max(c.attempts-1, 0),
	}
	if c.status != 0 {
		seg.HTTP = &httpCall{Response: httpResponse{Status: c.status, ContentLength: c.contentLength}}
	}
	seg.setOutcome(c.status, err)
	x.daemon.send(seg.end())
	return out, md, err
}

// recordAttempt keeps the response of each attempt; the last one's is the
// call's.
func recordAttempt(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	middleware.FinalizeOutput, middleware.Metadata, error,
) {
	c, ok := ctx.Value(callKey{}).(*call)
	if !ok {
		return next.HandleFinalize(ctx, in)
	}
	out, md, err := next.HandleFinalize(ctx, in)
	c.attempts++
	c.status, c.contentLength = 0, 0
	if resp, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && resp != nil {
		// A length of -1 is unknown: not sent.
		c.status, c.contentLength = resp.StatusCode, max(resp.ContentLength, 0)
	}
	c.requestID, _ = awsmiddleware.GetRequestIDMetadata(md)
	return out, md, err
}

// awsCall is the aws object of a call's subsegment.
type awsCall struct {
	Operation string `json:"operation"`
	Region    string `json:"region,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	Retries   int    `json:"retries,omitempty"`
}

// httpCall is the http object of a call's subsegment.
type httpCall struct {
	Response httpResponse `json:"response"`
}

type httpResponse struct {
	Status        int   `json:"status"`
	ContentLength int64 `json:"content_length,omitempty"`
}

// setOutcome sets the flags X-Ray colours a call by: error for a 4xx
// response, throttle as well when the service throttled it (429, or a
// throttling error code such as App Runner's ThrottlingException, which
// comes with 400), fault for a 5xx response or a failure without a response
// (a network error, the deadline); and the error as the cause.
func (s *segment) setOutcome(status int, err error) {
	switch {
	case status >= 500:
		s.Fault = true
	case status >= 400:
		s.Error = true
		s.Throttle = status == 429 || retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool()
	case err != nil:
		s.Fault = true
	}
	if err != nil {
		s.Cause = causeOf(err)
	}
}
