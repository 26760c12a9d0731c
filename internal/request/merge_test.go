package request_test

import (
	"slices"
	"testing"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// TestMergeKeepsOneResultPerConnectionTheGoalFirst: two engines of one
// dispatch that decided the same connection leave one result, the outcome
// closest to the goal standing for the requests of both, in either order;
// invalid results are about inputs and are all kept.
func TestMergeKeepsOneResultPerConnectionTheGoalFirst(t *testing.T) {
	const arn = "arn:aws:apprunner:us-east-1:123456789012:connection/legacy-github/0123456789abcdef0123456789abcdef"
	tests := []struct {
		a, b, want request.Outcome
	}{
		// Deleted: whatever else was said, the connection is gone.
		{request.OutcomeDeleted, request.OutcomeFailed, request.OutcomeDeleted},
		{request.OutcomeDeleted, request.OutcomeInUse, request.OutcomeDeleted},
		{request.OutcomeAlreadyDeleted, request.OutcomeFailed, request.OutcomeAlreadyDeleted},
		{request.OutcomeDeleted, request.OutcomeAlreadyDeleted, request.OutcomeDeleted},
		// Failed must be retried, before anything that only kept it.
		{request.OutcomeFailed, request.OutcomeInUse, request.OutcomeFailed},
		{request.OutcomeFailed, request.OutcomeWouldDelete, request.OutcomeFailed},
		{request.OutcomeInUse, request.OutcomeProtected, request.OutcomeInUse},
		{request.OutcomeProtected, request.OutcomeTooYoung, request.OutcomeProtected},
		{request.OutcomeTooYoung, request.OutcomeWouldDelete, request.OutcomeTooYoung},
	}
	for _, tt := range tests {
		for _, order := range [][2]request.Outcome{{tt.a, tt.b}, {tt.b, tt.a}} {
			t.Run(string(order[0])+"+"+string(order[1]), func(t *testing.T) {
				one := request.NewReport(nil, false)
				one.Add(request.Result{ARN: arn, Outcome: order[0], RequestIDs: []string{"m1"}},
					request.Result{ARN: "input", Outcome: request.OutcomeInvalid, RequestIDs: []string{"m1"}})
				one.APICalls = map[string]int{"DeleteConnection": 1}
				two := request.NewReport(nil, false)
				two.Add(request.Result{ARN: arn, Outcome: order[1], RequestIDs: []string{"m2", "m1"}},
					request.Result{ARN: "input", Outcome: request.OutcomeInvalid, RequestIDs: []string{"m2"}})
				two.APICalls, two.APIRetries = map[string]int{"DeleteConnection": 2, "ListConnections": 1}, 1

				got := request.Merge(nil, []*request.Report{one, two}, time.Second)
				if len(got.Results) != 3 {
					t.Fatalf("%d results %+v, want the connection once and both invalid inputs", len(got.Results), got.Results)
				}
				r := got.Results[0]
				if r.Outcome != tt.want || !slices.Equal(r.RequestIDs, []string{"m1", "m2"}) {
					t.Errorf("%s for %v, want %s for [m1 m2]", r.Outcome, r.RequestIDs, tt.want)
				}
				if got.Counts[tt.want] != 1 || got.Counts[request.OutcomeInvalid] != 2 {
					t.Errorf("counts %v", got.Counts)
				}
				if got.APICalls["DeleteConnection"] != 3 || got.APICalls["ListConnections"] != 1 || got.APIRetries != 1 || got.Duration != time.Second {
					t.Errorf("calls %v, retries %d, duration %s", got.APICalls, got.APIRetries, got.Duration)
				}
			})
		}
	}
}

// TestMergeIsADryRunOnlyWhenEveryReportIs: one real engine makes the
// dispatch real.
func TestMergeIsADryRunOnlyWhenEveryReportIs(t *testing.T) {
	dry, real := request.NewReport(nil, true), request.NewReport(nil, false)
	if !request.Merge(nil, []*request.Report{dry, dry}, 0).DryRun {
		t.Error("two dry runs merged into a real run")
	}
	if request.Merge(nil, []*request.Report{dry, real}, 0).DryRun {
		t.Error("a real run merged into a dry run")
	}
}
