package trigger

import (
	"fmt"
	"slices"

	"github.com/aws/aws-lambda-go/events"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
)

// IncompleteError reports an event-driven teardown (a custom event or an
// App Runner deletion event) that did not finish: a connection failed, an
// input was invalid (a custom event naming another account's connection,
// say), or a connection was in use while the request asked to wait for
// services (waitForServices, as an SQS message is then handed back).
// Returning it from the handler makes Lambda retry the asynchronous event
// and, when the retries are spent, send it to the function's dead-letter
// queue or on-failure destination, so nothing is dropped silently: an
// invalid event fails every retry and ends there, where a person sees it.
// Scheduled sweeps and direct invocations return the report instead: the
// next schedule, or the caller, retries them.
type IncompleteError struct {
	Kind Kind
	// Failed counts failed results, which a retry may fix.
	Failed int
	// Invalid counts invalid results, which no retry fixes.
	Invalid int
	// Waiting counts in_use results of requests that wait for services.
	Waiting int
}

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("%s cleanup incomplete: %d failed, %d invalid, %d in use while the request waits for services; "+
		"the event is retried, then sent to the dead-letter queue", e.Kind, e.Failed, e.Invalid, e.Waiting)
}

// Respond builds the Lambda response from the engine's report: an
// events.SQSEventResponse for SQS, the report itself otherwise. A nil
// report means the engine did not run: for SQS every message is handed
// back for a retry; otherwise an empty report is returned. For an
// event-driven teardown that did not finish, the report comes with an
// *IncompleteError.
func (inv Invocation) Respond(rep *cleanup.Report) (any, error) {
	if inv.Kind == KindSQS {
		return inv.BatchResponse(rep), nil
	}
	if rep == nil {
		rep = emptyReport()
	}
	if inv.Kind == KindCustom || inv.Kind == KindAppRunner {
		e := &IncompleteError{
			Kind:    inv.Kind,
			Failed:  countOutcome(rep, cleanup.OutcomeFailed),
			Invalid: countOutcome(rep, cleanup.OutcomeInvalid),
			Waiting: inv.countWaiting(rep),
		}
		if e.Failed+e.Invalid+e.Waiting > 0 {
			return rep, e
		}
	}
	return rep, nil
}

// countWaiting counts the in_use results of requests that asked to wait
// for services.
func (inv Invocation) countWaiting(rep *cleanup.Report) int {
	waits := make(map[string]bool)
	for _, r := range inv.Requests {
		if r.WaitForServices {
			waits[r.ID] = true
		}
	}
	if len(waits) == 0 {
		return 0
	}
	// With one request every result is its own, whatever IDs it carries.
	sole := len(inv.Requests) == 1
	n := 0
	for _, res := range rep.Results {
		if res.Outcome != cleanup.OutcomeInUse {
			continue
		}
		if sole || slices.ContainsFunc(res.RequestIDs, func(id string) bool { return waits[id] }) {
			n++
		}
	}
	return n
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
