package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// appRunnerDetail is the detail of App Runner's "AppRunner Service
// Operation Status Change" event. The service ARN is the event's only
// resource; serviceArn in the detail is read too, should App Runner add it.
type appRunnerDetail struct {
	OperationStatus string `json:"operationStatus"`
	ServiceName     string `json:"serviceName"`
	ServiceID       string `json:"serviceId"`
	ServiceARN      string `json:"serviceArn"`
}

// decodeTopEvent decodes an EventBridge event that is the whole payload.
func decodeTopEvent(b []byte, opts Options) (Invocation, error) {
	ev, err := decodeEvent(b, opts, false)
	if err != nil {
		return Invocation{}, err
	}
	return ev.invocation(), nil
}

// decodeEvent decodes an EventBridge event, delivered to the function
// directly or carried in an SQS message body (inBody), and says who sent
// it as its envelope does.
func decodeEvent(b []byte, opts Options, inBody bool) (decoded, error) {
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		return decoded{}, &PayloadError{
			Received: "an EventBridge event " + excerpt(b),
			Reason:   "its envelope does not decode: " + jsonProblem(err),
		}
	}
	d, err := decodeEnvelope(ev, opts, inBody)
	if err == nil {
		// A CloudTrail record names its caller; the envelope, the rest.
		principal := d.origin.Principal
		d.origin = eventOrigin(d.kind, ev)
		d.origin.Principal = principal
	}
	return d, err
}

// decodeEnvelope decides what an EventBridge event asks for, by its source
// and detail-type.
func decodeEnvelope(ev events.EventBridgeEvent, opts Options, inBody bool) (decoded, error) {
	reject := func(format string, args ...any) (decoded, error) {
		return decoded{}, &PayloadError{
			Received: fmt.Sprintf("an EventBridge event (source %q, detail-type %q, id %q)", ev.Source, ev.DetailType, ev.ID),
			Reason:   fmt.Sprintf(format, args...),
		}
	}
	switch {
	case ev.DetailType == "":
		// Checked here so that a payload and an SQS body are held to the
		// same rule.
		return reject(`field "detail-type" is missing or empty: an EventBridge event needs "source", "detail-type" and "detail"`)

	case inBody && isServiceSource(ev.Source):
		// EventBridge refuses PutEvents of a source starting with "aws.",
		// so only AWS emits such events, and it delivers them to this
		// function by invoking it: one in a message body was written by
		// whoever sent the message.
		return reject("it is an AWS service event: AWS delivers those by invoking the function, never through the queue, " +
			"so one in a message body is not believed; send a JSON request instead")

	case ev.DetailType == scheduledDetailType && ev.Source == "aws.events":
		return sweep(ev, KindSchedule)

	case ev.DetailType == scheduledDetailType && ev.Source == "aws.scheduler":
		// Without an input, EventBridge Scheduler sends this envelope with
		// the detail "{}" as a JSON string; there is nothing in it to read.
		return sweep(ev, KindScheduler)

	case ev.DetailType == CustomDetailType:
		if ev.Source != opts.CustomEventSource {
			return reject("custom cleanup events are accepted only from source %q (the configured custom event source)", opts.CustomEventSource)
		}
		detail, err := unwrapDetail(ev.Detail)
		if err != nil {
			return reject("%v", err)
		}
		req, rejected, err := decodeRequest(ev.ID, detail)
		if err != nil {
			return reject("its detail is not a valid request: %v", err)
		}
		if why := admit(req, KindCustom, nil, opts); why != "" {
			return reject("%s", why)
		}
		return decoded{kind: KindCustom, req: req, rejected: rejected}, nil

	case ev.Source == "aws.apprunner" && ev.DetailType == appRunnerDetailType:
		var d appRunnerDetail
		if err := json.Unmarshal(ev.Detail, &d); err != nil {
			return reject("its detail does not decode: %s", jsonProblem(err))
		}
		if d.OperationStatus != deleteCompleted {
			// Only a completed deletion can leave a connection unused; every
			// other operation (a deployment, a pause, a failed deletion) is
			// accepted and needs no work, so a broad rule costs nothing.
			return decoded{kind: KindAppRunner, note: fmt.Sprintf(
				"App Runner operation %q on %s needs no cleanup: only %s starts one",
				d.OperationStatus, serviceOf(ev, d), deleteCompleted)}, nil
		}
		service := serviceOf(ev, d)
		if service == "" {
			return reject("a completed service deletion must name the service in resources[0]")
		}
		req, _, err := request.RawRequest{ID: ev.ID, Action: request.ActionSweep, ServiceARN: service}.Check()
		if err != nil {
			return reject("%v", err)
		}
		return decoded{kind: KindAppRunner, req: req}, nil

	case ev.Source == "aws.apprunner":
		return reject("of App Runner's events only %q is accepted", appRunnerDetailType)

	case ev.Source == "aws.organizations" && ev.DetailType == cloudTrailDetailType:
		return decodeMoveAccount(ev, opts)
	}
	return reject("no accepted source and detail-type pair matches")
}

// isServiceSource reports whether an event's source is an AWS service's.
func isServiceSource(source string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(source)), "aws.")
}

// isEvent reports whether a JSON object is meant as an EventBridge event:
// it has a detail-type, or a source with a detail. decodeEvent then
// requires the detail-type, so an event missing it is refused with that
// reason rather than taken for something else.
func isEvent(probe map[string]json.RawMessage) bool {
	return has(probe, "detail-type") || has(probe, "source") && has(probe, "detail")
}

// serviceOf finds the service ARN of an App Runner event.
func serviceOf(ev events.EventBridgeEvent, d appRunnerDetail) string {
	if s := strings.TrimSpace(d.ServiceARN); s != "" {
		return s
	}
	if len(ev.Resources) > 0 {
		return strings.TrimSpace(ev.Resources[0])
	}
	return ""
}

// unwrapDetail returns a custom event's detail as the JSON request. A
// detail sent as a JSON string holding the request (as some producers
// do) is unwrapped once.
func unwrapDetail(raw json.RawMessage) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, errors.New("it has no detail: put the JSON request in detail")
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("its detail does not decode: %s", jsonProblem(err))
		}
		return []byte(s), nil
	}
	return raw, nil
}

// sweep is the sweep an event asks for by its form alone.
func sweep(ev events.EventBridgeEvent, kind Kind) (decoded, error) {
	req, _, err := request.RawRequest{ID: ev.ID, Action: request.ActionSweep}.Check()
	return decoded{kind: kind, req: req}, err
}

// moveAccountDetail is the part of CloudTrail's record of an Organizations
// MoveAccount call that says which account moved where.
type moveAccountDetail struct {
	EventName    string `json:"eventName"`
	ErrorCode    string `json:"errorCode"`
	UserIdentity struct {
		ARN string `json:"arn"`
	} `json:"userIdentity"`
	RequestParameters struct {
		AccountID           string `json:"accountId"`
		DestinationParentID string `json:"destinationParentId"`
	} `json:"requestParameters"`
}

// decodeMoveAccount turns an account moved into the offboarding OU into an
// offboarding plan of that account in the default regions. Other
// Organizations calls, failed moves and moves elsewhere ask for nothing.
func decodeMoveAccount(ev events.EventBridgeEvent, opts Options) (decoded, error) {
	var d moveAccountDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return decoded{}, &PayloadError{
			Received: fmt.Sprintf("an Organizations CloudTrail event (id %q)", ev.ID),
			Reason:   "its detail does not decode: " + jsonProblem(err),
		}
	}
	moved, into := d.RequestParameters.AccountID, d.RequestParameters.DestinationParentID
	origin := request.Origin{Principal: d.UserIdentity.ARN}
	note := func(format string, args ...any) (decoded, error) {
		return decoded{kind: KindOrganizations, note: fmt.Sprintf(format, args...), origin: origin}, nil
	}
	switch {
	case d.EventName != "MoveAccount":
		return note("Organizations call %q needs no cleanup: only MoveAccount into the offboarding OU starts one", d.EventName)
	case d.ErrorCode != "":
		return note("MoveAccount of %s failed (%s): nothing moved", moved, d.ErrorCode)
	case opts.OffboardOUID == "":
		return note("account %s moved into %s: no offboarding OU is configured (OFFBOARD_OU_ID)", moved, into)
	case into != opts.OffboardOUID:
		return note("account %s moved into %s, not the offboarding OU %s", moved, into, opts.OffboardOUID)
	}
	req, _, err := request.RawRequest{ID: ev.ID, Action: request.ActionOffboard, AccountIDs: []string{moved}}.Check()
	if err != nil {
		return decoded{}, &PayloadError{
			Received: fmt.Sprintf("an Organizations MoveAccount event (id %q)", ev.ID),
			Reason:   fmt.Sprintf("the moved account %q cannot be offboarded: %v", moved, err),
		}
	}
	// The move is a hint, not an authority: the planner offboards the
	// account only if AWS Organizations says it is below the offboarding
	// OU, and each work item asks again when it runs, after the delay in
	// which a mistaken move can be undone.
	req.Delay = opts.OffboardDelay
	return decoded{kind: KindOrganizations, req: req, origin: origin}, nil
}
