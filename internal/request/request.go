package request

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Action says which connections a Request is about.
type Action string

const (
	// ActionSweep looks at every connection of the account and region.
	ActionSweep Action = "sweep"
	// ActionDelete looks only at the resources named in the request.
	ActionDelete Action = "delete"
	// ActionOffboard looks at every connection of an account in the named
	// regions, without the minimum age: the account is leaving App Runner.
	ActionOffboard Action = "offboard"
)

// Limits of one request.
const (
	// MaxConnectionARNs bounds the resource ARNs one request may name.
	MaxConnectionARNs = 1000
	// MaxRegions bounds the regions one offboarding request may name; App
	// Runner is offered in fewer.
	MaxRegions = 30
	// MaxUnusedFor bounds the idle period a request may ask for.
	MaxUnusedFor = 365 * 24 * time.Hour
)

// Request is one unit of work the engine runs: an SQS message, an
// EventBridge event or a direct invocation, decoded and checked. Only
// RawRequest.Check makes one, so the engine never meets an invalid request.
type Request struct {
	// ID identifies the request to its caller (an SQS message ID, say);
	// every Result derived from the request carries it back.
	ID string

	Action Action
	// Connections are the resources an ActionDelete names, each once: any
	// kind's ARN (see Kinds), which says its kind.
	Connections []ARN
	// Kinds, for a sweep or offboarding, are the kinds of resource it
	// covers; nil means the function's configured kinds.
	Kinds []Kind

	// DryRun asks for a dry run. It cannot lift the dry run the function
	// is configured with: false means "as configured".
	DryRun bool
	// WaitForServices asks that in_use connections be retried later
	// (an SQS message is then reported as a batch item failure).
	WaitForServices bool
	// AfterUnusedFor asks that a connection be deleted only once it has
	// stayed unused this long (the idle period), 0 if not asked. A sweep
	// waits at least the configured period whatever it asks; a deletion
	// or an offboarding waits only if it asks.
	AfterUnusedFor time.Duration

	// Service, for a sweep started by a completed service deletion,
	// narrows the sweep to the connection that service used, when it can
	// still be learned; otherwise the sweep covers every connection.
	Service *ARN

	// Role and Regions say, for ActionOffboard, which account (reached
	// through the role) and which regions are offboarded.
	Role    RoleARN
	Regions []string

	// Plan, for a sweep or offboarding of accounts of the organization,
	// names them: such a request is planned (one work item per account and
	// region, sent to the cleanup queue), not run.
	Plan *Plan
	// WorkItem, for a sweep or offboarding of one account and region of a
	// plan, says which.
	WorkItem *WorkItem
	// Delay, for a plan, is how long its work items wait in the queue
	// before they run (at most 15 minutes, SQS's longest delay). Only the
	// function sets it (OFFBOARD_DELAY, for an offboarding that a
	// MoveAccount started); no request field does.
	Delay time.Duration
}

// Plan names the accounts of an organization a request is about: those
// under the OUs (child OUs included) and those named, in the regions (none
// means the function's default regions).
type Plan struct {
	OrganizationalUnitIDs []string
	AccountIDs            []string
	Regions               []string
}

// WorkItem is one account and region of a plan.
type WorkItem struct {
	AccountID, Region string
	// PlanID ties the work item's logs to its plan.
	PlanID string
}

// RawRequest is a request as its sender wrote it, field by field: what a
// trigger decodes from a payload. Pointers and nil slices tell a field left
// out from one given empty.
type RawRequest struct {
	ID             string
	Action         Action
	ConnectionARNs []string
	DryRun         bool
	// DryRunOmitted says the sender did not say dryRun at all. A work item
	// that does not is a dry run: this function's planner always says,
	// so one that does not was planned before it did, when the dry run
	// was not stamped, and may not delete on its own authority.
	DryRunOmitted   bool
	WaitForServices bool
	AfterUnusedFor  *string
	// ResourceTypes names the kinds a sweep or offboarding covers (see
	// ParseKinds), nil if not given.
	ResourceTypes []string
	ServiceARN    string
	AccountID     *string
	RoleARN       *string
	Regions       []string

	// A plan's OUs and accounts, and a work item's region and plan.
	OrganizationalUnitIDs []string
	AccountIDs            []string
	Region                *string
	PlanID                *string
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

// Result is the invalid result that reports the rejection. What looks
// like a credential in the input, or in a reason quoting it, is redacted:
// the result is logged and returned to the sender.
func (r Rejection) Result() Result {
	res := Result{ARN: Redact(r.Input), Outcome: OutcomeInvalid, Reason: Redact(r.Reason)}
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
	if raw.AfterUnusedFor != nil {
		req.AfterUnusedFor, _ = ParseAge(*raw.AfterUnusedFor) // rule checked it
	}
	if raw.ResourceTypes != nil {
		req.Kinds, _ = KindsOf(raw.ResourceTypes) // rule checked it
	}
	var rejected []Rejection
	switch req.Action {
	case ActionDelete:
		for _, s := range raw.ConnectionARNs {
			s = strings.TrimSpace(s)
			a, err := ParseResourceARN(s)
			if err != nil {
				// Named twice, refused once, as a resource named twice
				// is decided once.
				rej := Reject(raw.ID, s, fmt.Sprintf("not an App Runner resource ARN: %v", err))
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
	case ActionSweep, ActionOffboard:
		switch {
		case raw.isPlan():
			req.Plan = &Plan{
				OrganizationalUnitIDs: distinct(raw.OrganizationalUnitIDs),
				AccountIDs:            distinct(raw.AccountIDs),
				Regions:               distinct(raw.Regions),
			}
		case raw.isWorkItem():
			req.WorkItem = &WorkItem{AccountID: strings.TrimSpace(*raw.AccountID), Region: strings.TrimSpace(*raw.Region)}
			req.DryRun = req.DryRun || raw.DryRunOmitted
			if raw.PlanID != nil {
				req.WorkItem.PlanID = strings.TrimSpace(*raw.PlanID)
			}
		case raw.ServiceARN != "":
			a, _ := ParseServiceARN(strings.TrimSpace(raw.ServiceARN)) // rule checked it
			req.Service = &a
		case raw.Action == ActionOffboard:
			req.Role, _ = ParseRoleARN(strings.TrimSpace(*raw.RoleARN)) // rule checked it
			req.Regions = distinct(raw.Regions)
		}
	}
	return req, rejected, nil
}

// distinct trims each value and drops repeats, keeping the order; nil stays
// nil.
func distinct(values []string) []string {
	var out []string
	for _, v := range values {
		if v = strings.TrimSpace(v); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// isPlan reports whether raw names accounts of the organization.
func (raw RawRequest) isPlan() bool {
	return raw.OrganizationalUnitIDs != nil || raw.AccountIDs != nil
}

// isWorkItem reports whether raw is one account and region of a plan.
func (raw RawRequest) isWorkItem() bool {
	return raw.Region != nil || raw.PlanID != nil
}

// rule says which rule of a request raw breaks, or "".
func (raw RawRequest) rule() string {
	if raw.AfterUnusedFor != nil {
		d, err := ParseAge(*raw.AfterUnusedFor)
		switch {
		case err != nil:
			return fmt.Sprintf(`field "afterUnusedFor" %q: %v`, Excerpt(*raw.AfterUnusedFor, 40), err)
		case d > MaxUnusedFor:
			return fmt.Sprintf(`field "afterUnusedFor" %q: at most %s (365d)`, *raw.AfterUnusedFor, MaxUnusedFor)
		}
	}
	if raw.ResourceTypes != nil {
		if raw.Action == ActionDelete {
			return `field "resourceTypes" applies to actions "sweep" and "offboard" only: the ARNs of a deletion say their kinds`
		}
		if _, err := KindsOf(raw.ResourceTypes); err != nil {
			return `field "resourceTypes": ` + err.Error()
		}
	}
	switch raw.Action {
	case ActionDelete:
		if f := raw.present("accountId", "roleArn", "regions"); f != "" {
			return fmt.Sprintf(`field %q applies to action "offboard" only`, f)
		}
		if f := raw.present("organizationalUnitIds", "accountIds", "region", "planId"); f != "" {
			return fmt.Sprintf(`field %q applies to plans and work items of actions "sweep" and "offboard" only`, f)
		}
		if len(raw.ConnectionARNs) == 0 {
			return `action "delete" needs at least one ARN in "connectionArns" (of a connection, VPC connector, auto scaling or observability configuration)`
		}
		if len(raw.ConnectionARNs) > MaxConnectionARNs {
			return fmt.Sprintf(`"connectionArns" names %d ARNs, more than the %d one request may name: split the request`,
				len(raw.ConnectionARNs), MaxConnectionARNs)
		}
	case ActionSweep, ActionOffboard:
		switch {
		case raw.isPlan() && raw.isWorkItem():
			return `a request is a plan ("organizationalUnitIds", "accountIds") or a work item ("accountId", "region", "planId"), not both`
		case raw.isPlan():
			return raw.planRule()
		case raw.isWorkItem():
			return raw.workItemRule()
		case raw.Action == ActionOffboard:
			return raw.offboardRule()
		}
		return raw.sweepRule()
	default:
		return fmt.Sprintf("unknown action %q: use %s", Excerpt(string(raw.Action), InputExcerpt), actions)
	}
	return ""
}

// present returns the first of the named optional fields that raw has, or
// "".
func (raw RawRequest) present(fields ...string) string {
	has := map[string]bool{
		"connectionArns": raw.ConnectionARNs != nil, "accountId": raw.AccountID != nil, "roleArn": raw.RoleARN != nil,
		"regions": raw.Regions != nil, "organizationalUnitIds": raw.OrganizationalUnitIDs != nil,
		"accountIds": raw.AccountIDs != nil, "region": raw.Region != nil, "planId": raw.PlanID != nil,
	}
	for _, f := range fields {
		if has[f] {
			return f
		}
	}
	return ""
}

// sweepRule is the rule of a sweep of the function's own account.
func (raw RawRequest) sweepRule() string {
	// A sweep naming an account would run against the function's own
	// account instead, so such fields are refused, not ignored.
	switch f := raw.present("accountId", "roleArn", "regions"); f {
	case "":
	case "accountId":
		return `field "accountId" of a sweep needs "region": a work item names one account and region; use "accountIds" to plan several`
	default:
		return fmt.Sprintf(`field %q applies to action "offboard" only`, f)
	}
	if len(raw.ConnectionARNs) > 0 {
		return fmt.Sprintf(`action "sweep" takes no "connectionArns" (got %d): use action "delete" to name resources`, len(raw.ConnectionARNs))
	}
	if raw.ServiceARN != "" {
		// A bad one must not widen into a sweep of everything.
		if _, err := ParseServiceARN(strings.TrimSpace(raw.ServiceARN)); err != nil {
			return fmt.Sprintf("not an App Runner service ARN: %v", err)
		}
	}
	return ""
}

// Limits of a plan.
const (
	MaxPlanOUs      = 100
	MaxPlanAccounts = 1000
)

// planRule is the rule of a plan: OUs and accounts of the organization,
// and regions where App Runner is.
func (raw RawRequest) planRule() string {
	if f := raw.present("connectionArns", "roleArn", "accountId"); f != "" {
		return fmt.Sprintf(`a plan (with "organizationalUnitIds" or "accountIds") takes no %q: it names accounts of the organization, reached through the member role`, f)
	}
	switch {
	case len(raw.OrganizationalUnitIDs)+len(raw.AccountIDs) == 0:
		return `a plan needs at least one OU in "organizationalUnitIds" or account in "accountIds"`
	case len(raw.OrganizationalUnitIDs) > MaxPlanOUs:
		return fmt.Sprintf(`"organizationalUnitIds" names %d OUs, more than the %d one plan may name: split the plan`, len(raw.OrganizationalUnitIDs), MaxPlanOUs)
	case len(raw.AccountIDs) > MaxPlanAccounts:
		return fmt.Sprintf(`"accountIds" names %d accounts, more than the %d one plan may name: split the plan`, len(raw.AccountIDs), MaxPlanAccounts)
	case len(raw.Regions) > MaxRegions:
		return fmt.Sprintf("%d regions: at most %d per request", len(raw.Regions), MaxRegions)
	}
	for _, ou := range raw.OrganizationalUnitIDs {
		if !IsOUID(strings.TrimSpace(ou)) {
			return fmt.Sprintf("%q is not an organizational unit ID (ou-xxxx-xxxxxxxx)", Excerpt(ou, InputExcerpt))
		}
	}
	for _, id := range raw.AccountIDs {
		if !IsAccountID(strings.TrimSpace(id)) {
			return fmt.Sprintf("%q is not an account ID: want 12 digits", Excerpt(id, InputExcerpt))
		}
	}
	for _, r := range raw.Regions {
		r = strings.TrimSpace(r)
		if why := regionRule(PartitionOf(r), r); why != "" {
			return why
		}
	}
	return ""
}

// maxPlanIDLength bounds a work item's plan ID.
const maxPlanIDLength = 128

// workItemRule is the rule of one account and region of a plan.
func (raw RawRequest) workItemRule() string {
	if f := raw.present("connectionArns", "roleArn", "regions", "organizationalUnitIds", "accountIds"); f != "" {
		return fmt.Sprintf(`a work item (with "region") takes no %q: it is one account and one region`, f)
	}
	if raw.AccountID == nil || !IsAccountID(strings.TrimSpace(*raw.AccountID)) {
		return `a work item needs "accountId", 12 digits`
	}
	if raw.Region == nil {
		return `a work item needs "region"`
	}
	r := strings.TrimSpace(*raw.Region)
	if why := regionRule(PartitionOf(r), r); why != "" {
		return why
	}
	if raw.PlanID != nil {
		id := strings.TrimSpace(*raw.PlanID)
		if id == "" || len(id) > maxPlanIDLength || strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r > '~' }) {
			return fmt.Sprintf(`"planId" %q: want 1 to %d printable characters without spaces`, Excerpt(id, InputExcerpt), maxPlanIDLength)
		}
	}
	return ""
}

// regionRule says why r cannot be reached in partition, or "": only
// regions where App Runner exists are, since each costs credentials, an
// engine and connections, which a request must not be able to multiply
// with made-up regions.
func regionRule(partition, r string) string {
	if !IsRegion(r) {
		return fmt.Sprintf("region %q is not a region name such as us-east-1", Excerpt(r, InputExcerpt))
	}
	if !HasAppRunner(partition, r) {
		offered := "App Runner is offered in none of its regions"
		if rs := AppRunnerRegions(partition); len(rs) > 0 {
			offered = "App Runner is offered in " + strings.Join(rs, ", ")
		}
		return fmt.Sprintf("region %q: no App Runner there (partition %s: %s)", r, partition, offered)
	}
	return ""
}

func (raw RawRequest) offboardRule() string {
	if len(raw.ConnectionARNs) > 0 {
		return fmt.Sprintf(`action "offboard" takes no "connectionArns" (got %d): it covers every resource of the account in "regions"`, len(raw.ConnectionARNs))
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
		if why := regionRule(role.Partition, strings.TrimSpace(r)); why != "" {
			return why
		}
	}
	return ""
}
