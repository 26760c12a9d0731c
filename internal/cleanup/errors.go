package cleanup

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
	"github.com/aws/smithy-go"
)

const (
	reasonDeadline  = "deadline: not started before the function's time ran out; it will be retried"
	reasonCancelled = "cancelled: the run was stopped before this was done; it will be retried"
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

// failedReason prefers the deadline explanation when the deadline caused err.
func failedReason(err error, reason string) string {
	if classify(err) == errDeadline {
		return deadlineReason(err)
	}
	if classify(err) == errThrottled {
		return "throttled after the SDK's retries: " + reason
	}
	return reason
}

// stopReason explains work the run did not do because its context ended:
// the deadline, or a cancellation (an operator's Ctrl-C, a runtime shutdown).
func stopReason(err error) string {
	if errors.Is(err, context.Canceled) {
		return reasonCancelled
	}
	return reasonDeadline
}

// deadlineReason explains a call that the run's end (its deadline, or a
// cancellation) stopped: never started, or cut off while under way. A call
// cut off may have done its work on App Runner's side, so it is not
// reported as not started.
func deadlineReason(err error) string {
	var notStarted *notStartedError
	var op *smithy.OperationError
	if errors.As(err, &notStarted) || !errors.As(err, &op) {
		return stopReason(err)
	}
	why, cause := "deadline", "the function's time ran out"
	if errors.Is(err, context.Canceled) {
		why, cause = "cancelled", "the run was stopped"
	}
	if !isDelete(op.OperationName) {
		// A read cut off changed nothing.
		return fmt.Sprintf("%s: %s was under way when %s and did not finish; it will be retried", why, op.OperationName, cause)
	}
	return fmt.Sprintf("%s: %s was under way when %s; its result is unknown, and it will be retried "+
		"(App Runner may have deleted it already: a retry then reports it already_deleted)", why, op.OperationName, cause)
}

// errText is the App Runner error code and message without the SDK's
// request metadata, which is in the trace already.
func errText(err error) string {
	prefix := ""
	if viaSTS(err) {
		// The call never reached App Runner: its credentials could not be
		// had, which for an offboarded account means the role's trust.
		prefix = "getting credentials from STS (the offboarding role's trust policy?): "
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return prefix + apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	return prefix + err.Error()
}

// viaSTS reports whether err went through a failed STS call: an App
// Runner operation error whose cause, somewhere below, is STS's own (the
// credentials provider's AssumeRole). errors.As finds the outermost
// operation error; the search goes on below each one that is not STS's.
func viaSTS(err error) bool {
	var oe *smithy.OperationError
	for errors.As(err, &oe) {
		if oe.ServiceID == "STS" {
			return true
		}
		err = oe.Unwrap()
	}
	return false
}
