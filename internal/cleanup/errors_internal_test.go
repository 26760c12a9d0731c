package cleanup

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
	"github.com/aws/smithy-go"
)

// TestClassifyReadsTypedErrorsThenProtocolCodes covers what the emulator
// cannot easily produce: codes an operation's model does not list, which
// the SDK hands over as generic API errors, and the server-fault fallback.
func TestClassifyReadsTypedErrorsThenProtocolCodes(t *testing.T) {
	generic := func(code string, fault smithy.ErrorFault) error {
		return &smithy.OperationError{ServiceID: "AppRunner", OperationName: "DeleteConnection",
			Err: &smithy.GenericAPIError{Code: code, Message: "m", Fault: fault}}
	}
	tests := []struct {
		name string
		err  error
		want errorKind
	}{
		{"deadline", fmt.Errorf("call: %w", context.DeadlineExceeded), errDeadline},
		{"cancelled", fmt.Errorf("call: %w", context.Canceled), errDeadline},
		{"typed not found", &types.ResourceNotFoundException{}, errNotFound},
		{"typed invalid request", fmt.Errorf("wrapped: %w", &types.InvalidRequestException{}), errRefused},
		{"typed internal error", &types.InternalServiceErrorException{}, errServer},
		{"generic not found", generic("ResourceNotFoundException", smithy.FaultClient), errNotFound},
		{"generic invalid request", generic("InvalidRequestException", smithy.FaultClient), errRefused},
		{"throttling", generic("ThrottlingException", smithy.FaultClient), errThrottled},
		{"too many requests", generic("TooManyRequestsException", smithy.FaultClient), errThrottled},
		{"internal failure", generic("InternalFailure", smithy.FaultServer), errServer},
		{"unknown server fault", generic("SomethingBroke", smithy.FaultServer), errServer},
		{"unknown client fault", generic("AccessDeniedException", smithy.FaultClient), errOther},
		{"not an API error", errors.New("connection reset"), errOther},
	}
	for _, tt := range tests {
		if got := classify(tt.err); got != tt.want {
			t.Errorf("%s: classify = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestFailedReasonNamesThrottlingAndTheDeadline(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "ThrottlingException"}
	if got := failedReason(throttled, "delete connection: x"); got != "throttled after the SDK's retries: delete connection: x" {
		t.Errorf("throttled: %q", got)
	}
	notStarted := &notStartedError{op: "ListTagsForResource", err: context.DeadlineExceeded}
	if got := failedReason(notStarted, "list tags: x"); got != reasonDeadline {
		t.Errorf("not started: %q, want %q", got, reasonDeadline)
	}
	cutRead := &smithy.OperationError{OperationName: "DescribeService", Err: context.Canceled}
	if got := failedReason(cutRead, "x"); got != "cancelled: DescribeService was under way when the run was stopped and did not finish; it will be retried" {
		t.Errorf("read cut off: %q", got)
	}
}

// TestViaSTSFindsSTSBelowAppRunner: an App Runner call whose credentials
// the role's AssumeRole refused carries STS's operation error below its
// own, also inside a joined error; App Runner's alone is not STS's.
func TestViaSTSFindsSTSBelowAppRunner(t *testing.T) {
	sts := &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole",
		Err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized"}}
	appRunner := func(cause error) error {
		return &smithy.OperationError{ServiceID: "AppRunner", OperationName: "ListConnections", Err: cause}
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"App Runner's own refusal", appRunner(&types.InvalidRequestException{}), false},
		{"credentials from a refused AssumeRole", appRunner(fmt.Errorf("failed to retrieve credentials: %w", sts)), true},
		{"wrapped once more", fmt.Errorf("list: %w", appRunner(fmt.Errorf("retrieve credentials: %w", sts))), true},
		{"in a joined error", errors.Join(errors.New("first"), appRunner(sts)), true},
		{"not an operation error", errors.New("connection reset"), false},
	}
	for _, tt := range tests {
		if got := viaSTS(tt.err); got != tt.want {
			t.Errorf("%s: viaSTS = %v, want %v", tt.name, got, tt.want)
		}
	}
}
