package request

import (
	"slices"
	"time"
)

// mergePrecedence orders the outcomes two engines of one dispatch may give
// the same connection (the home engine and an offboarding engine of the
// same account and region): the goal reached first, then what must be
// retried, then what kept it.
var mergePrecedence = map[Outcome]int{
	OutcomeDeleted: 0, OutcomeAlreadyDeleted: 1, OutcomeFailed: 2, OutcomeInUse: 3,
	OutcomeProtected: 4, OutcomeTooYoung: 5, OutcomeMarked: 6, OutcomeWouldDelete: 7,
}

// Merge combines the reports of one dispatch into a report of reqs, one
// result per connection, taking took:
// where two engines decided the same connection, the outcome first in
// mergePrecedence stands for the requests of both. Invalid results are about
// an input, not a connection, and are all kept.
func Merge(reqs []Request, reports []*Report, took time.Duration) *Report {
	out := NewReport(reqs, false)
	out.DryRun = len(reports) > 0
	out.Duration = took
	var results []Result
	at := map[string]int{} // connection ARN -> index in results
	for _, r := range reports {
		out.DryRun = out.DryRun && r.DryRun
		out.AddCalls(r)
		for _, res := range r.Results {
			i, seen := at[res.ARN]
			if res.Outcome == OutcomeInvalid || !seen {
				if res.Outcome != OutcomeInvalid {
					at[res.ARN] = len(results)
				}
				results = append(results, res)
				continue
			}
			prev := &results[i]
			ids := slices.Concat(prev.RequestIDs, res.RequestIDs)
			if mergePrecedence[res.Outcome] < mergePrecedence[prev.Outcome] {
				*prev = res
			}
			prev.RequestIDs = nil
			for _, id := range ids {
				if !slices.Contains(prev.RequestIDs, id) {
					prev.RequestIDs = append(prev.RequestIDs, id)
				}
			}
		}
	}
	out.Add(results...)
	return out
}

// AddCalls adds the App Runner calls and retries that other counted.
func (rep *Report) AddCalls(other *Report) {
	if rep.APICalls == nil {
		rep.APICalls = map[string]int{}
	}
	for op, n := range other.APICalls {
		rep.APICalls[op] += n
	}
	rep.APIRetries += other.APIRetries
}
