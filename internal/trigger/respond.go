package trigger

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// IncompleteError reports an invocation other than an SQS batch whose work
// did not finish: a connection failed, an input was invalid (a custom
// event naming another account's connection, say), or a connection was in
// use while the request asked to wait for services (waitForServices, as an
// SQS message is then handed back). Returning it from the handler makes
// Lambda retry an asynchronous invocation (EventBridge events, schedules)
// and, when the retries are spent, send it to the dead-letter queue or
// on-failure destination, so nothing is dropped silently: an invalid event
// fails every retry and ends there, where a person sees it. Re-running a
// sweep or a teardown is safe, so a failed sweep is retried like a failed
// teardown. A synchronous caller gets the error; the report is in the logs.
type IncompleteError struct {
	Kind Kind
	// Failed counts failed results, which a retry may fix.
	Failed int
	// Invalid counts invalid results, which no retry fixes.
	Invalid int
	// Waiting counts in_use results of requests that wait for services.
	Waiting int
	// Unplanned counts plans that could not be made or sent in full.
	Unplanned int
	// Examples are the first few unfinished results, "connection: reason",
	// so that the error alone says what to look at.
	Examples []string
}

// maxExamples bounds the results an IncompleteError quotes.
const maxExamples = 3

// MaxResponseResults bounds the results a response lists; the rest are
// counted (Report.OmittedResults) and logged, one line each.
const MaxResponseResults = 1000

func (e *IncompleteError) Error() string {
	msg := fmt.Sprintf("%s cleanup incomplete: %d failed, %d invalid, %d in use while the request waits for services",
		e.Kind, e.Failed, e.Invalid, e.Waiting)
	if e.Unplanned > 0 {
		msg += fmt.Sprintf(", %d plan(s) not made or not sent in full", e.Unplanned)
	}
	if len(e.Examples) > 0 {
		msg += " (" + strings.Join(e.Examples, "; ") + ")"
	}
	return msg + "; an asynchronous invocation is retried, then sent to the dead-letter queue"
}

// Respond builds the Lambda response from the engine's report: an
// events.SQSEventResponse for SQS, the report itself otherwise. A nil
// report means the engine did not run: for SQS every message is handed
// back for a retry; otherwise an empty report is returned. The report
// lists at most MaxResponseResults results. For any other invocation that
// did not finish, the report comes with an *IncompleteError.
func (inv Invocation) Respond(rep *request.Report) (any, error) {
	if inv.Kind == KindSQS {
		return inv.BatchResponse(rep), nil
	}
	if rep == nil {
		rep = request.NewReport(nil, false)
	}
	waiting := inv.waiting(rep)
	e := &IncompleteError{
		Kind:    inv.Kind,
		Failed:  rep.Counts[request.OutcomeFailed],
		Invalid: rep.Counts[request.OutcomeInvalid],
		Waiting: len(waiting),
	}
	for _, p := range rep.Plans {
		if p.Error != "" {
			e.Unplanned++
			if len(e.Examples) < maxExamples {
				e.Examples = append(e.Examples, fmt.Sprintf("plan %s: %s", p.PlanID, p.Error))
			}
		}
	}
	for _, res := range rep.Results {
		if len(e.Examples) == maxExamples {
			break
		}
		if res.Outcome == request.OutcomeFailed || res.Outcome == request.OutcomeInvalid || slices.Contains(waiting, res.ARN) {
			e.Examples = append(e.Examples, fmt.Sprintf("%s %s: %s", res.ARN, res.Outcome, res.Reason))
		}
	}
	if e.Failed+e.Invalid+e.Waiting+e.Unplanned > 0 {
		return rep.Bounded(MaxResponseResults), e
	}
	return rep.Bounded(MaxResponseResults), nil
}

// waiting lists the connections of in_use results of requests that asked
// to wait for services.
func (inv Invocation) waiting(rep *request.Report) []string {
	waits := make(map[string]bool)
	for _, r := range inv.Requests {
		if r.WaitForServices {
			waits[r.ID] = true
		}
	}
	if len(waits) == 0 {
		return nil
	}
	// With one request every result is its own, whatever IDs it carries.
	sole := len(inv.Requests) == 1
	var arns []string
	for _, res := range rep.Results {
		if res.Outcome != request.OutcomeInUse {
			continue
		}
		if sole || slices.ContainsFunc(res.RequestIDs, func(id string) bool { return waits[id] }) {
			arns = append(arns, res.ARN)
		}
	}
	return arns
}

// BatchResponse lists, in batch order and once each, the SQS messages to
// hand back to the queue: those with an invalid or failed result, and
// those with an in_use result whose request asked to wait for services.
func (inv Invocation) BatchResponse(rep *request.Report) events.SQSEventResponse {
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
		for _, p := range rep.Plans {
			if p.Error != "" {
				failed[p.RequestID] = true
			}
		}
		for _, res := range rep.Results {
			for _, id := range res.RequestIDs {
				switch res.Outcome {
				case request.OutcomeInvalid, request.OutcomeFailed:
					failed[id] = true
				case request.OutcomeInUse:
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
