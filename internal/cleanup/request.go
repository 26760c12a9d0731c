package cleanup

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
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

// Limits of one request.
const (
	// MaxConnectionARNs bounds the connection ARNs one request may name.
	MaxConnectionARNs = 1000
	// MaxRegions bounds the regions one offboarding request may name; App
	// Runner is offered in fewer.
	MaxRegions = 30
)

// Request is one unit of work the engine runs: an SQS message, an
// EventBridge event or a direct invocation, decoded and checked. Only
// RawRequest.Check makes one, so the engine never meets an invalid request.
type Request struct {
	// ID identifies the request to its caller (an SQS message ID, say);
	// every Result derived from the request carries it back.
	ID string

	Action Action
	// Connections are the connections an ActionDelete names, each once.
	Connections []ARN

	// DryRun asks for a dry run. It cannot lift the dry run the function
	// is configured with: false means "as configured".
	DryRun bool
	// WaitForServices asks that in_use connections be retried later
	// (an SQS message is then reported as a batch item failure).
	WaitForServices bool

	// Service, for a sweep started by a completed service deletion,
	// narrows the sweep to the connection that service used, when it can
	// still be learned; otherwise the sweep covers every connection.
	Service *ARN

	// Role and Regions say, for ActionOffboard, which account (reached
	// through the role) and which regions are offboarded.
	Role    RoleARN
	Regions []string
}

// RawRequest is a request as its sender wrote it, field by field: what a
// trigger decodes from a payload. Pointers and nil slices tell a field left
// out from one given empty.
type RawRequest struct {
	ID              string
	Action          Action
	ConnectionARNs  []string
	DryRun          bool
	WaitForServices bool
	ServiceARN      string
	AccountID       *string
	RoleARN         *string
	Regions         []string
}

// Rejection is input that cannot be acted on: a request that breaks a rule,
// or one ARN of a request that is not a connection ARN. It is reported as
// an invalid result; for SQS the message then goes to the dead-letter queue.
type Rejection struct {
	RequestID string
	// Input is an excerpt of what was received.
	Input  string
	Reason string
}

// Reject makes the rejection of input, excerpted, for the request id.
func Reject(id, input, reason string) Rejection {
	return Rejection{RequestID: id, Input: Excerpt(input, InputExcerpt), Reason: reason}
}

// Result is the invalid result that reports the rejection.
func (r Rejection) Result() Result {
	res := Result{ConnectionARN: r.Input, Outcome: OutcomeInvalid, Reason: r.Reason}
	if r.RequestID != "" {
		res.RequestIDs = []string{r.RequestID}
	}
	return res
}

// InputExcerpt is how many runes of a rejected input its result repeats
// (about 200 bytes with the length note):
// any real ARN whole, and no more of a large body than a person reads.
const InputExcerpt = 190

// Excerpt returns at most max runes of s, valid UTF-8, saying how long the
// whole was when it was cut.
func Excerpt(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return fmt.Sprintf("%s… (%d bytes)", string([]rune(s)[:max]), len(s))
}

// actions lists the accepted actions for error messages.
const actions = `"sweep", "delete" or "offboard"`

// Check applies the rules of a request, in one place for every trigger. A
// request that breaks one is rejected whole: the error says which rule.
// Otherwise each connection ARN that is not one is rejected alone, and the
// request goes on with the others; it is nil when none is left. Whether the
// engine may act on the rest (its account and region, the roles it may
// assume) is the engine's to judge.
func (raw RawRequest) Check() (*Request, []Rejection, error) {
	if why := raw.rule(); why != "" {
		return nil, nil, errors.New(why)
	}
	req := &Request{ID: raw.ID, Action: raw.Action, DryRun: raw.DryRun, WaitForServices: raw.WaitForServices}
	var rejected []Rejection
	switch req.Action {
	case ActionDelete:
		for _, s := range raw.ConnectionARNs {
			s = strings.TrimSpace(s)
			a, err := ParseConnectionARN(s)
			if err != nil {
				// Named twice, refused once, as a connection named twice
				// is decided once.
				rej := Reject(raw.ID, s, fmt.Sprintf("not an App Runner connection ARN: %v", err))
				if !slices.Contains(rejected, rej) {
					rejected = append(rejected, rej)
				}
				continue
			}
			if !slices.Contains(req.Connections, a) {
				req.Connections = append(req.Connections, a)
			}
		}
		if len(req.Connections) == 0 {
			return nil, rejected, nil
		}
	case ActionSweep:
		if raw.ServiceARN != "" {
			a, _ := ParseServiceARN(strings.TrimSpace(raw.ServiceARN)) // rule checked it
			req.Service = &a
		}
	case ActionOffboard:
		req.Role, _ = ParseRoleARN(strings.TrimSpace(*raw.RoleARN)) // rule checked it
		for _, r := range raw.Regions {
			if r = strings.TrimSpace(r); !slices.Contains(req.Regions, r) {
				req.Regions = append(req.Regions, r)
			}
		}
	}
	return req, rejected, nil
}

// rule says which rule of a request raw breaks, or "".
func (raw RawRequest) rule() string {
	switch raw.Action {
	case ActionDelete:
		if why := raw.offboardFieldsElsewhere(); why != "" {
			return why
		}
		if len(raw.ConnectionARNs) == 0 {
			return `action "delete" needs at least one ARN in "connectionArns"`
		}
		if len(raw.ConnectionARNs) > MaxConnectionARNs {
			return fmt.Sprintf(`"connectionArns" names %d ARNs, more than the %d one request may name: split the request`,
				len(raw.ConnectionARNs), MaxConnectionARNs)
		}
	case ActionSweep:
		if why := raw.offboardFieldsElsewhere(); why != "" {
			return why
		}
		if len(raw.ConnectionARNs) > 0 {
			return fmt.Sprintf(`action "sweep" takes no "connectionArns" (got %d): use action "delete" to name connections`, len(raw.ConnectionARNs))
		}
		if raw.ServiceARN != "" {
			// A bad one must not widen into a sweep of everything.
			if _, err := ParseServiceARN(strings.TrimSpace(raw.ServiceARN)); err != nil {
				return fmt.Sprintf("not an App Runner service ARN: %v", err)
			}
		}
	case ActionOffboard:
		return raw.offboardRule()
	default:
		return fmt.Sprintf("unknown action %q: use %s", Excerpt(string(raw.Action), InputExcerpt), actions)
	}
	return ""
}

// offboardFieldsElsewhere refuses the offboarding fields in a request of
// another action: a sweep or delete naming an account would run against
// the function's own account instead, so they are refused, not ignored.
func (raw RawRequest) offboardFieldsElsewhere() string {
	for _, f := range []struct {
		name    string
		present bool
	}{{"accountId", raw.AccountID != nil}, {"roleArn", raw.RoleARN != nil}, {"regions", raw.Regions != nil}} {
		if f.present {
			return fmt.Sprintf(`field %q applies to action "offboard" only`, f.name)
		}
	}
	return ""
}

func (raw RawRequest) offboardRule() string {
	if len(raw.ConnectionARNs) > 0 {
		return fmt.Sprintf(`action "offboard" takes no "connectionArns" (got %d): it covers every connection of the account in "regions"`, len(raw.ConnectionARNs))
	}
	if len(raw.Regions) == 0 {
		return `action "offboard" needs at least one region in "regions", e.g. ["us-east-1","eu-west-1"]`
	}
	if len(raw.Regions) > MaxRegions {
		return fmt.Sprintf("%d regions: at most %d per request", len(raw.Regions), MaxRegions)
	}
	if raw.RoleARN == nil || strings.TrimSpace(*raw.RoleARN) == "" {
		return `offboarding needs "roleArn": an IAM role of the account to offboard, listed in OFFBOARD_ROLE_ARNS`
	}
	role, err := ParseRoleARN(strings.TrimSpace(*raw.RoleARN))
	if err != nil {
		return fmt.Sprintf("roleArn %q: %v", Excerpt(*raw.RoleARN, InputExcerpt), err)
	}
	if raw.AccountID != nil {
		if id := strings.TrimSpace(*raw.AccountID); id != role.Account {
			return fmt.Sprintf("roleArn %s belongs to account %s, not to accountId %s", role, role.Account, Excerpt(id, InputExcerpt))
		}
	}
	for _, r := range raw.Regions {
		r = strings.TrimSpace(r)
		if !isRegion(r) {
			return fmt.Sprintf("region %q is not a region name such as us-east-1", Excerpt(r, InputExcerpt))
		}
		// Only regions where App Runner exists are reached: each scope
		// costs credentials, an engine and connections, which a request
		// must not be able to multiply with made-up regions.
		if !HasAppRunner(role.Partition, r) {
			offered := "App Runner is offered in none of its regions"
			if rs := AppRunnerRegions(role.Partition); len(rs) > 0 {
				offered = "App Runner is offered in " + strings.Join(rs, ", ")
			}
			return fmt.Sprintf("region %q: no App Runner there (partition %s: %s)", r, role.Partition, offered)
		}
	}
	return ""
}
