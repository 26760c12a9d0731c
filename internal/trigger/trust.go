package trigger

import (
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// What a message claims about where it comes from is checked here, against
// what the envelope it arrived in says and the sender cannot write:
//
//   - a work item claims to be this function's planner's: SQS's SenderId
//     (set by SQS, not by the sender) must name the function's own
//     principal, and only an SQS message has one;
//   - an offboarding request (no minimum age) may come only from those
//     allowed to ask for one: the offboarding queue, whose policy admits
//     fewer principals than the cleanup queue's and the request bus's, a
//     direct invocation (lambda:InvokeFunction), or the MoveAccount rule,
//     whose claim the planner then checks with AWS Organizations;
//   - an AWS service event is believed only where AWS delivers it, by
//     invoking the function: one in an SQS body is refused (sqs.go).

// admit says why req, decoded from a payload of kind (msg is its SQS
// message, nil for other kinds), may not be run, or "" if it may.
func admit(req *request.Request, kind Kind, msg *events.SQSMessage, opts Options) string {
	switch {
	case req == nil:
		return ""
	case req.WorkItem != nil:
		return admitWorkItem(kind, msg, opts)
	case req.Action == request.ActionOffboard:
		return admitOffboard(kind, msg, opts)
	}
	return ""
}

func admitWorkItem(kind Kind, msg *events.SQSMessage, opts Options) string {
	const only = "work items are accepted only as SQS messages that this function's own planner sent"
	switch {
	case msg == nil:
		return fmt.Sprintf("%s; this one came as %s", only, describeKind(kind))
	case opts.PlannerPrincipalID == "":
		return only + ", and this function does not know its own principal ID (STS GetCallerIdentity) to check SQS's SenderId with"
	}
	sender := msg.Attributes["SenderId"]
	if sender == "" || principalOf(sender) != principalOf(opts.PlannerPrincipalID) {
		return fmt.Sprintf("%s: SQS says this message was sent by %q, not by the function's own principal %s "+
			"(a work item moved back from the dead-letter queue may carry the mover's ID: re-plan instead)",
			only, request.Excerpt(sender, request.InputExcerpt), principalOf(opts.PlannerPrincipalID))
	}
	return ""
}

func admitOffboard(kind Kind, msg *events.SQSMessage, opts Options) string {
	switch {
	case kind == KindDirect, kind == KindOrganizations:
		return ""
	case msg != nil && opts.OffboardQueueARN != "" && msg.EventSourceARN == opts.OffboardQueueARN:
		return ""
	}
	how := "by invoking the function, or by moving the account into the offboarding OU (OFFBOARD_OU_ID)"
	if opts.OffboardQueueARN != "" {
		how = "through the offboarding queue " + opts.OffboardQueueARN + " (whose policy admits OffboardPrincipalArns), " + how
	}
	return fmt.Sprintf("offboarding deletes connections whatever their age, so it is requested only %s; not as %s", how, describeKind(kind))
}

// describeKind names the way a request came, for a refusal.
func describeKind(kind Kind) string {
	switch kind {
	case KindSQS:
		return "a message of the cleanup queue"
	case KindCustom:
		return "a custom event"
	case KindDirect:
		return "a direct invocation"
	}
	return "a " + string(kind) + " event"
}

// principalOf is the unique ID of a principal ID: a role's, without the
// session name after the colon, since every session of the function's
// role is the function.
func principalOf(id string) string {
	p, _, _ := strings.Cut(id, ":")
	return p
}

// sqsOrigin is who sent an SQS message, as SQS says.
func sqsOrigin(m events.SQSMessage) request.Origin {
	return request.Origin{Trigger: string(KindSQS), Principal: m.Attributes["SenderId"], Queue: m.EventSourceARN}
}

// eventOrigin is the envelope of an EventBridge event.
func eventOrigin(kind Kind, ev events.EventBridgeEvent) request.Origin {
	return request.Origin{Trigger: string(kind), Source: ev.Source, EventID: ev.ID, Resources: ev.Resources}
}
