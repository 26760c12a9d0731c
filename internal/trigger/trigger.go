// Package trigger decodes the payloads the Lambda function is invoked with
// (SQS batches, EventBridge events, App Runner's own events, EventBridge
// Scheduler deliveries and direct invocations) into cleanup requests, and
// builds the Lambda response from the engine's report: a partial batch
// response for SQS, the report itself otherwise.
//
// The JSON request, accepted as a direct invocation, an SQS message body
// or a custom event's detail, asks for a sweep, the deletion of named
// connections, or the offboarding of an account in named regions. The
// decoder checks the JSON (exact field names, no nulls, types) and hands
// the fields to request.RawRequest.Check, which holds a request's rules;
// the engine judges accounts, regions and roles against its configuration.
//
// Decoding never drops input silently. A top-level payload that matches no
// accepted form is an error returned to the caller (asynchronous invocations
// then reach the function's dead-letter queue or on-failure destination);
// an SQS message that cannot be decoded, or that breaks a request's rules,
// becomes a request.Rejection, reported as an invalid result beside the
// engine's, and the batch response hands it back to SQS, so the redrive
// policy moves it to the queue's dead-letter queue.
package trigger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// Kind names the form a payload was decoded as.
type Kind string

// The accepted payload forms.
const (
	// KindSQS is a batch of SQS messages.
	KindSQS Kind = "sqs"
	// KindSchedule is an EventBridge scheduled rule (source aws.events).
	KindSchedule Kind = "schedule"
	// KindCustom is an EventBridge custom event "Connection Cleanup Requested".
	KindCustom Kind = "custom"
	// KindAppRunner is App Runner's "AppRunner Service Operation Status Change".
	KindAppRunner Kind = "apprunner"
	// KindScheduler is an EventBridge Scheduler delivery without input.
	KindScheduler Kind = "scheduler"
	// KindOrganizations is AWS Organizations' CloudTrail MoveAccount event:
	// an account moved into the offboarding OU.
	KindOrganizations Kind = "organizations"
	// KindDirect is the JSON request itself, from a direct invocation or an
	// EventBridge Scheduler schedule with an explicit input.
	KindDirect Kind = "direct"
	// KindUnknown is the kind a payload matching no accepted form is
	// published under. It is one fixed value, whatever was received, so
	// metric dimensions stay few.
	KindUnknown Kind = "unknown"
)

// Names and limits of the accepted forms.
const (
	// DefaultCustomEventSource is the source a custom event must carry
	// unless Options.CustomEventSource says otherwise.
	DefaultCustomEventSource = "apprunner.connection-cleanup"
	// CustomDetailType is the detail-type of custom cleanup events.
	CustomDetailType = "Connection Cleanup Requested"
	// MaxBodyBytes is the largest SQS message body decoded (256 KiB).
	MaxBodyBytes = 256 * 1024

	scheduledDetailType  = "Scheduled Event"
	appRunnerDetailType  = "AppRunner Service Operation Status Change"
	cloudTrailDetailType = "AWS API Call via CloudTrail"
	deleteCompleted      = "DeleteServiceCompletedSuccessfully"
)

// acceptedForms is appended to every rejection so the reader learns what
// would have worked.
const acceptedForms = "accepted: an SQS event (Records with eventSource aws:sqs); " +
	"an EventBridge event (source aws.events or aws.scheduler with detail-type \"Scheduled Event\", " +
	"detail-type \"" + CustomDetailType + "\" from the configured source, " +
	"or source aws.apprunner with detail-type \"" + appRunnerDetailType + "\"); " +
	"or a JSON request {\"action\":\"sweep\"|\"delete\"|\"offboard\",\"connectionArns\":[...],\"dryRun\":bool,\"waitForServices\":bool,\"afterUnusedFor\":\"7d\",\"resourceTypes\":[\"all\"]} " +
	"(offboard names \"roleArn\" and \"regions\":[...], optionally \"accountId\", and no connectionArns; " +
	"a plan of sweep or offboard names \"organizationalUnitIds\" or \"accountIds\" and optionally \"regions\"; " +
	"a work item names \"accountId\", \"region\" and \"planId\")"

// Options tune decoding.
type Options struct {
	// CustomEventSource is the only source accepted for custom events;
	// empty means DefaultCustomEventSource.
	CustomEventSource string
	// OffboardOUID is the OU an account is moved into to be offboarded
	// (OFFBOARD_OU_ID); empty ignores Organizations' MoveAccount events.
	OffboardOUID string
	// OffboardDelay is how long the work items of an offboarding that a
	// MoveAccount plans wait before they run (OFFBOARD_DELAY): time to
	// move an account back that was moved by mistake.
	OffboardDelay time.Duration
	// ProgressQuery names the saved Logs Insights query that follows a
	// plan (PLAN_PROGRESS_QUERY); plan summaries say to run it.
	ProgressQuery string
	// PlannerPrincipalID is the unique ID of the principal the function's
	// planner sends work items as (STS GetCallerIdentity's UserId): the
	// only SQS SenderId whose work items are run. Empty: none is.
	PlannerPrincipalID string
	// OffboardQueueARN is the queue through which offboarding may be
	// requested (OFFBOARD_QUEUE_ARN); empty: no queue may.
	OffboardQueueARN string
}

func (o Options) withDefaults() Options {
	if o.CustomEventSource == "" {
		o.CustomEventSource = DefaultCustomEventSource
	}
	return o
}

// Invocation is a decoded payload: the requests to hand to the engine in one
// run, and what Respond needs to answer the caller.
type Invocation struct {
	Kind Kind
	// Requests go to the engine together, in one run. Empty when there is
	// nothing to do (see Notes).
	Requests []request.Request
	// Rejections are the inputs that cannot be acted on: SQS messages that
	// do not decode or break a request's rules, and single ARNs that are
	// not connection ARNs. They are reported as invalid results.
	Rejections []request.Rejection
	// Notes explain input that was accepted but needs no work (an App Runner
	// operation other than a completed deletion, a duplicate SQS message).
	// They are worth a log line, never a failure.
	Notes []string

	// Origin is who sent a payload other than an SQS batch, as its
	// envelope says.
	Origin request.Origin

	// messageIDs lists the SQS batch's distinct message IDs in order; only
	// these may appear in the batch response.
	messageIDs []string
	// origins are who sent each SQS message, by message ID.
	origins map[string]request.Origin
}

// Origins returns who asked for each request and rejection, by request
// ID, for the report.
func (inv Invocation) Origins() map[string]request.Origin {
	out := make(map[string]request.Origin, len(inv.Requests)+len(inv.Rejections))
	add := func(id string) {
		if o, ok := inv.origins[id]; ok {
			out[id] = o
		} else if inv.Kind != KindSQS {
			out[id] = inv.Origin
		}
	}
	for _, r := range inv.Requests {
		add(r.ID)
	}
	for _, r := range inv.Rejections {
		add(r.RequestID)
	}
	return out
}

// PayloadError says why a top-level payload was rejected: what was
// received and which forms are accepted.
type PayloadError struct {
	// Received describes the payload ("a JSON number", "an EventBridge event
	// from source aws.s3 ...") with an excerpt.
	Received string
	// Reason is what is wrong with it.
	Reason string
}

func (e *PayloadError) Error() string {
	return fmt.Sprintf("unsupported payload: received %s: %s; %s", e.Received, e.Reason, acceptedForms)
}

// Decode turns a raw Lambda payload into the requests it asks for.
func Decode(payload []byte, opts Options) (Invocation, error) {
	opts = opts.withDefaults()
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 {
		return Invocation{}, &PayloadError{Received: "an empty payload", Reason: "there is nothing to decode"}
	}
	if trimmed[0] != '{' {
		return Invocation{}, &PayloadError{
			Received: describeJSON(trimmed),
			Reason:   "the payload must be a JSON object",
		}
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &probe); err != nil {
		return Invocation{}, &PayloadError{
			Received: "malformed JSON " + excerpt(trimmed),
			Reason:   jsonProblem(err),
		}
	}
	switch {
	case len(probe) == 0:
		return Invocation{}, &PayloadError{Received: "an empty JSON object {}", Reason: "it names no action or event"}
	case has(probe, "Records"):
		return decodeRecords(probe["Records"], opts)
	case isEvent(probe):
		return decodeTopEvent(trimmed, opts)
	case hasFold(probe, "action"):
		req, rejected, err := decodeRequest("", trimmed)
		if err != nil {
			return Invocation{}, &PayloadError{Received: "a JSON request " + excerpt(trimmed), Reason: err.Error()}
		}
		if why := admit(req, KindDirect, nil, opts); why != "" {
			return Invocation{}, &PayloadError{Received: "a JSON request " + excerpt(trimmed), Reason: why}
		}
		return decoded{kind: KindDirect, req: req, rejected: rejected, origin: request.Origin{Trigger: string(KindDirect)}}.invocation(), nil
	default:
		return Invocation{}, &PayloadError{
			Received: "a JSON object with fields " + fieldList(probe),
			Reason:   "it is neither an event nor a request",
		}
	}
}

func has(m map[string]json.RawMessage, key string) bool {
	_, ok := m[key]
	return ok
}

// hasFold is has matching key in any case, so that a request spelling a
// field in the wrong case reaches the request decoder and hears why it
// is refused.
func hasFold(m map[string]json.RawMessage, key string) bool {
	for k := range m {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// excerptRunes is how much of a payload an error message quotes.
const excerptRunes = 80

// excerpt quotes the start of b for an error message, without what looks
// like a credential.
func excerpt(b []byte) string {
	return fmt.Sprintf("%q", request.Redact(request.Excerpt(string(b), excerptRunes)))
}

// refusal is a payload or message body refused whole, quoted as briefly
// as an error message quotes it.
func refusal(id string, b []byte, reason string) request.Rejection {
	return request.Rejection{RequestID: id, Input: request.Excerpt(string(b), excerptRunes), Reason: reason}
}

// decoded is one request-carrying input decoded: the request (nil when
// nothing is left to run), the inputs rejected, or a note when it asks for
// nothing.
type decoded struct {
	kind     Kind
	req      *request.Request
	rejected []request.Rejection
	note     string
	origin   request.Origin
}

func (d decoded) invocation() Invocation {
	inv := Invocation{Kind: d.kind, Rejections: d.rejected, Origin: d.origin}
	if d.req != nil {
		inv.Requests = []request.Request{*d.req}
	}
	if d.note != "" {
		inv.Notes = []string{d.note}
	}
	return inv
}

// describeJSON names the kind of a non-object payload.
func describeJSON(b []byte) string {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "non-JSON text " + excerpt(b)
	}
	switch v.(type) {
	case nil:
		return "JSON null"
	case bool:
		return "a JSON boolean " + string(b)
	case float64:
		return "a JSON number " + excerpt(b)
	case string:
		return "a JSON string " + excerpt(b)
	case []any:
		return "a JSON array " + excerpt(b)
	}
	return "JSON " + excerpt(b)
}

func fieldList(m map[string]json.RawMessage) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, fmt.Sprintf("%q", k))
	}
	slices.Sort(keys)
	const most = 8
	if len(keys) > most {
		keys = append(keys[:most], "…")
	}
	return "[" + strings.Join(keys, ", ") + "]"
}
