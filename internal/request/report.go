package request

import "time"

// Outcome is the single decision taken for one connection.
type Outcome string

// The outcomes, one per connection looked at. See the README's outcomes table.
const (
	OutcomeDeleted        Outcome = "deleted"
	OutcomeWouldDelete    Outcome = "would_delete"
	OutcomeAlreadyDeleted Outcome = "already_deleted"
	OutcomeInUse          Outcome = "in_use"
	OutcomeProtected      Outcome = "protected"
	OutcomeTooYoung       Outcome = "too_young"
	// OutcomeMarked: free, but not unused for long enough yet (the idle
	// period): marked with the time it was first seen free, or, in a dry
	// run, would be.
	OutcomeMarked  Outcome = "marked"
	OutcomeInvalid Outcome = "invalid"
	OutcomeFailed  Outcome = "failed"
)

// NotMarkedYet is in the reason of a marked result that a dry run gave a
// connection it did not tag: a real run would mark it now. The operator's
// command reads it to write, after a confirmed dry run, the marks the dry
// run left out.
const NotMarkedYet = "no tag written"

// Outcomes lists every outcome in a stable order, for reports and metrics.
func Outcomes() []Outcome {
	return []Outcome{
		OutcomeDeleted, OutcomeWouldDelete, OutcomeAlreadyDeleted, OutcomeInUse,
		OutcomeProtected, OutcomeTooYoung, OutcomeMarked, OutcomeInvalid, OutcomeFailed,
	}
}

// ServiceRef names a service that uses a connection.
type ServiceRef struct {
	ServiceARN  string `json:"serviceArn"`
	ServiceName string `json:"serviceName"`
	Status      string `json:"status"`
}

// Result is the decision taken for one resource (or one rejected input).
type Result struct {
	ResourceType Kind         `json:"resourceType,omitempty"`
	ARN          string       `json:"resourceArn"`
	Name         string       `json:"resourceName,omitempty"`
	Outcome      Outcome      `json:"outcome"`
	Reason       string       `json:"reason"`
	UsedBy       []ServiceRef `json:"usedBy,omitempty"`

	// RequestIDs are the IDs of the requests that asked about this
	// connection; a connection named twice in a batch is decided once.
	RequestIDs []string `json:"-"`
	// PlanID is the plan whose work item decided this connection, if any.
	PlanID string `json:"planId,omitempty"`
}

// ActionBatch is the Report.Action of a run whose requests asked for
// different actions (an SQS batch mixing sweeps and deletions).
const ActionBatch Action = "batch"

// Report is what one invocation decided, in a form both people and
// programs read. It counts its own outcomes as results are added: logs,
// metrics and responses read Counts, never count again.
type Report struct {
	Action  Action          `json:"action"`
	DryRun  bool            `json:"dryRun"`
	Results []Result        `json:"results"`
	Counts  map[Outcome]int `json:"counts"`
	// CountsByType counts the outcomes of each resource type's results,
	// for the types that have any; an invalid input has no type.
	CountsByType map[Kind]map[Outcome]int `json:"countsByType,omitempty"`

	// APICalls counts the App Runner requests sent, by operation name:
	// every attempt, retries included, as App Runner counts them.
	APICalls map[string]int `json:"apiCalls,omitempty"`
	// APIRetries is how many of those requests were retries.
	APIRetries int `json:"apiRetries,omitempty"`
	// OmittedResults is how many results a bounded copy leaves out (see
	// Bounded); Counts still count them.
	OmittedResults int `json:"omittedResults,omitempty"`

	// Plans are the plans the invocation made, one per plan request.
	Plans []PlanSummary `json:"plans,omitempty"`
	// WorkItems are the work items of plans the invocation ran, with
	// what each decided: one plan's progress is read from them.
	WorkItems []WorkItemRun `json:"workItems,omitempty"`
	// Duration is how long the run took.
	Duration time.Duration `json:"-"`
	// Origins say who asked for each request, by request ID: what the
	// logs attribute each decision to.
	Origins map[string]Origin `json:"-"`
}

// Origin is who asked for a request, as far as its envelope tells. It is
// attribution for logs, never a reason to act: what a trigger can check
// of it (SQS's SenderId, which queue a message came from) it checks before
// the request is run.
type Origin struct {
	// Trigger is the payload's form ("sqs", "schedule", "custom",
	// "apprunner", "organizations", "direct").
	Trigger string `json:"trigger"`
	// Principal is who sent it: SQS's SenderId, or the principal
	// CloudTrail names for an Organizations call.
	Principal string `json:"principal,omitempty"`
	// Queue is the ARN of the SQS queue the message came from.
	Queue string `json:"queue,omitempty"`
	// Source, EventID and Resources are an EventBridge event's: the
	// resources name the schedule's rule, or the service of an App Runner
	// event.
	Source    string   `json:"source,omitempty"`
	EventID   string   `json:"eventId,omitempty"`
	Resources []string `json:"resources,omitempty"`
}

// NewReport returns an empty report of the requests: their action, and
// whether they were all dry runs (dryRun says whether the function is
// configured for one).
func NewReport(reqs []Request, dryRun bool) *Report {
	rep := &Report{Results: []Result{}, Counts: make(map[Outcome]int, len(Outcomes()))}
	for _, o := range Outcomes() {
		rep.Counts[o] = 0
	}
	all := true
	for _, req := range reqs {
		if rep.Action != "" && rep.Action != req.Action {
			rep.Action = ActionBatch
		} else {
			rep.Action = req.Action
		}
		all = all && req.DryRun
	}
	rep.DryRun = dryRun || len(reqs) > 0 && all
	return rep
}

// Add appends results and counts them.
func (rep *Report) Add(results ...Result) {
	rep.Results = append(rep.Results, results...)
	for _, r := range results {
		rep.Counts[r.Outcome]++
		if r.ResourceType == "" {
			continue
		}
		if rep.CountsByType == nil {
			rep.CountsByType = make(map[Kind]map[Outcome]int)
		}
		if rep.CountsByType[r.ResourceType] == nil {
			rep.CountsByType[r.ResourceType] = make(map[Outcome]int)
		}
		rep.CountsByType[r.ResourceType][r.Outcome]++
	}
}

// Bounded returns the report with at most max results, in order, and
// says how many it left out; the counts stay those of every result. A
// response must stay under Lambda's 6 MB payload limit (about 0.5 KB a
// result), while the logs keep every decision.
func (rep *Report) Bounded(max int) *Report {
	if len(rep.Results) <= max {
		return rep
	}
	out := *rep
	out.Results = rep.Results[:max:max]
	out.OmittedResults = len(rep.Results) - max
	return &out
}

// Reject adds the invalid results of rejected input.
func (rep *Report) Reject(rejected ...Rejection) {
	for _, r := range rejected {
		rep.Add(r.Result())
	}
}

// PlanSummary is what planning one request decided: the accounts and
// regions its work items cover, and every OU or account it refused, and
// why. A plan sends its work items to the cleanup queue; each is then run
// as a sweep or offboarding of one account and region.
type PlanSummary struct {
	// RequestID is the plan request's ID (an SQS message ID, say).
	RequestID string `json:"-"`
	PlanID    string `json:"planId"`
	Action    Action `json:"action"`
	DryRun    bool   `json:"dryRun"`
	// Accounts and Regions are those the work items cover.
	Accounts []string `json:"accounts"`
	Regions  []string `json:"regions"`
	// WorkItems is how many work items were sent.
	WorkItems int `json:"workItems"`
	// Delay is how long the work items wait in the queue before they run
	// ("15m0s"), if they do.
	Delay   string    `json:"delay,omitempty"`
	Refused []Refusal `json:"refused"`
	// Progress says how to follow the plan's work items.
	Progress string `json:"progress,omitempty"`
	// Error says why the plan could not be made, or its work items not all
	// sent; the request is then retried (re-running a plan only repeats
	// work items, which are idempotent).
	Error string `json:"error,omitempty"`
}

// RefusedResults are the plan's refusals as results of its request: each
// invalid, as a connection of another account named in a request is, so
// that the request is retried and then kept in the dead-letter queue,
// where a person sees it. Re-planning only repeats idempotent work items.
func (p PlanSummary) RefusedResults() []Result {
	out := make([]Result, 0, len(p.Refused))
	for _, r := range p.Refused {
		out = append(out, Result{ARN: r.Subject, Outcome: OutcomeInvalid,
			Reason: "not planned: " + r.Reason, RequestIDs: []string{p.RequestID}, PlanID: p.PlanID})
	}
	return out
}

// WorkItemRun is what one run of a work item decided.
type WorkItemRun struct {
	// RequestID is the work item's request ID (its SQS message ID).
	RequestID string          `json:"-"`
	PlanID    string          `json:"planId"`
	Account   string          `json:"account"`
	Region    string          `json:"region"`
	Counts    map[Outcome]int `json:"counts"`
}

// Refusal is an OU or account a plan does not reach, and why.
type Refusal struct {
	Subject string `json:"subject"`
	Reason  string `json:"reason"`
}
