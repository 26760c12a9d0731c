package trigger

import (
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
)

// IncompleteError reports an event-driven teardown (a custom event or an
// App Runner deletion event) that left connections failed. Returning it
// from the handler makes Lambda retry the asynchronous event and, when the
// retries are spent, send it to the function's dead-letter queue or
// on-failure destination. Scheduled sweeps and direct invocations return
// the report instead: the next schedule, or the caller, retries them.
type IncompleteError struct {
	Kind   Kind
	Failed int
}

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("%s cleanup incomplete: %d connection(s) failed and need a retry", e.Kind, e.Failed)
}

// Respond builds the Lambda response from the engine's report: an
// events.SQSEventResponse for SQS, the report itself otherwise. A nil
// report means the engine did not run: for SQS every message is handed
// back for a retry; otherwise an empty report is returned.
func (inv Invocation) Respond(rep *cleanup.Report) (any, error) {
	if inv.Kind == KindSQS {
		return inv.BatchResponse(rep), nil
	}
	if rep == nil {
		rep = emptyReport()
	}
	if inv.Kind == KindCustom || inv.Kind == KindAppRunner {
		if n := countOutcome(rep, cleanup.OutcomeFailed); n > 0 {
			return rep, &IncompleteError{Kind: inv.Kind, Failed: n}
		}
	}
	return rep, nil
}

// BatchResponse lists, in batch order and once each, the SQS messages to
// hand back to the queue: those with an invalid or failed result, and
// those with an in_use result whose request asked to wait for services.
func (inv Invocation) BatchResponse(rep *cleanup.Report) events.SQSEventResponse {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	failed := make(map[string]bool)
	if rep == nil {
		for _, id := range inv.messageIDs {
			failed[id] = true
		}
	} else {
		waits := make(map[string]bool)
		for _, r := range inv.Requests {
			waits[r.ID] = r.WaitForServices
		}
		for _, res := range rep.Results {
			for _, id := range res.RequestIDs {
				switch res.Outcome {
				case cleanup.OutcomeInvalid, cleanup.OutcomeFailed:
					failed[id] = true
				case cleanup.OutcomeInUse:
					if waits[id] {
						failed[id] = true
					}
				}
			}
		}
	}
	for _, id := range inv.messageIDs {
		if failed[id] {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
		}
	}
	return resp
}

func countOutcome(rep *cleanup.Report, o cleanup.Outcome) int {
	if n, ok := rep.Counts[o]; ok {
		return n
	}
	n := 0
	for _, r := range rep.Results {
		if r.Outcome == o {
			n++
		}
	}
	return n
}
