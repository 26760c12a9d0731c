package cleanup

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
	"github.com/aws/smithy-go"
)

// errorKind is what the engine needs to know about an App Runner error.
type errorKind int

const (
	errOther     errorKind = iota
	errNotFound            // the resource is gone
	errRefused             // InvalidRequestException: App Runner will not do it
	errThrottled           // still throttled after the SDK's retries
	errServer              // still failing on App Runner's side after retries
	errDeadline            // the run's deadline came first
)

// classify maps an SDK error to an errorKind. Typed errors come first; each
// operation's deserializer only knows the errors its model lists, so others
// (ThrottlingException, say) arrive as a generic smithy.APIError and are
// matched on ErrorCode, which is a protocol field, not message text.
func classify(err error) errorKind {
	var (
		notFound *types.ResourceNotFoundException
		invalid  *types.InvalidRequestException
		internal *types.InternalServiceErrorException
		apiErr   smithy.APIError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return errDeadline
	case errors.As(err, &notFound):
		return errNotFound
	case errors.As(err, &invalid):
		return errRefused
	case errors.As(err, &internal):
		return errServer
	case errors.As(err, &apiErr):
		switch apiErr.ErrorCode() {
		case "ResourceNotFoundException":
			return errNotFound
		case "InvalidRequestException":
			return errRefused
		case "ThrottlingException", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded":
			return errThrottled
		case "InternalServiceErrorException", "InternalFailure", "ServiceUnavailable":
			return errServer
		}
		if apiErr.ErrorFault() == smithy.FaultServer {
			return errServer
		}
	}
	return errOther
}
