package cleanup

import (
	"context"
	"time"
)

// Action says which connections a Request is about.
type Action string

const (
	// ActionSweep looks at every connection of the account and region.
	ActionSweep Action = "sweep"
	// ActionDelete looks only at the connections named in the request.
	ActionDelete Action = "delete"
	// ActionOffboard looks at every connection of an account in the named
	// regions, without the minimum age: the account is leaving App Runner.
	ActionOffboard Action = "offboard"
)

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
	OutcomeInvalid        Outcome = "invalid"
	OutcomeFailed         Outcome = "failed"
)

// Outcomes lists every outcome in a stable order, for reports and metrics.
func Outcomes() []Outcome {
	return []Outcome{
		OutcomeDeleted, OutcomeWouldDelete, OutcomeAlreadyDeleted, OutcomeInUse,
		OutcomeProtected, OutcomeTooYoung, OutcomeInvalid, OutcomeFailed,
	}
}

// Request is one unit of work handed to the engine: an SQS message, an
// EventBridge event or a direct invocation, already decoded.
type Request struct {
	// ID identifies the request to its caller (an SQS message ID, say);
	// every Result derived from the request carries it back.
	ID string `json:"-"`

	Action         Action   `json:"action"`
	ConnectionARNs []string `json:"connectionArns,omitempty"`

	// DryRun, when true, asks for a dry run. It cannot lift the dry run
	// the function is configured with: false means "as configured".
	DryRun *bool `json:"dryRun,omitempty"`

	// WaitForServices asks that in_use connections be retried later
	// (an SQS message is then reported as a batch item failure).
	WaitForServices bool `json:"waitForServices,omitempty"`

	// ServiceARN, for a sweep started by a completed service deletion,
	// narrows the sweep to the connection that service used, when it can
	// still be learned; otherwise the sweep covers every connection.
	ServiceARN string `json:"serviceArn,omitempty"`

	// AccountID, RoleARN and Regions say, for ActionOffboard, which account
	// (reached through the role) and which regions are offboarded.
	AccountID string   `json:"accountId,omitempty"`
	RoleARN   string   `json:"roleArn,omitempty"`
	Regions   []string `json:"regions,omitempty"`

	// Invalid, when not empty, says why the trigger could not decode this
	// request; the engine reports it as one invalid result and does no work.
	Invalid string `json:"-"`
	// Raw is an excerpt of the undecodable input, for the invalid result.
	Raw string `json:"-"`
}

// ServiceRef names a service that uses a connection.
type ServiceRef struct {
	ServiceARN  string `json:"serviceArn"`
	ServiceName string `json:"serviceName"`
	Status      string `json:"status"`
}

// Result is the decision taken for one connection (or one undecodable input).
type Result struct {
	ConnectionARN  string       `json:"connectionArn"`
	ConnectionName string       `json:"connectionName,omitempty"`
	Outcome        Outcome      `json:"outcome"`
	Reason         string       `json:"reason"`
	UsedBy         []ServiceRef `json:"usedBy,omitempty"`

	// RequestIDs are the IDs of the requests that asked about this
	// connection; a connection named twice in a batch is decided once.
	RequestIDs []string `json:"-"`
}

// Report is what one engine run decided, in a form both people and
// programs read.
type Report struct {
	Action  Action          `json:"action"`
	DryRun  bool            `json:"dryRun"`
	Results []Result        `json:"results"`
	Counts  map[Outcome]int `json:"counts"`

	// APICalls counts App Runner calls made, by operation name.
	APICalls map[string]int `json:"apiCalls,omitempty"`
	// Duration is how long the run took.
	Duration time.Duration `json:"-"`
}

// Tracer marks the phases of a run for a tracing backend. The engine never
// imports a tracing SDK; cmd/handler passes an implementation in.
type Tracer interface {
	// StartPhase begins a named phase ("index", "decide", "delete") and
	// returns the context to use inside it and a function that ends it,
	// attaching the given numeric annotations.
	StartPhase(ctx context.Context, name string) (context.Context, func(annotations map[string]int64, err error))
}
