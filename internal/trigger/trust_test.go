package trigger

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

const (
	// ownPrincipal is the function's own role session, as STS names it.
	ownPrincipal = "AROAOWNFUNCTIONROLE01:apprunner-connection-cleanup"
	cleanupQueue = "arn:aws:sqs:us-east-1:123456789012:connection-cleanup"
	offboardQ    = "arn:aws:sqs:us-east-1:123456789012:connection-cleanup-offboard"
	workItemBody = `{"action":"offboard","accountId":"123456789012","region":"us-east-1","planId":"plan-1","dryRun":false}`
)

var trusted = Options{PlannerPrincipalID: ownPrincipal, OffboardQueueARN: offboardQ, OffboardOUID: "ou-demo-offboard1"}

// sqsMessage is one SQS record as Lambda's event source delivers it.
func sqsMessage(id, body, sender, queueARN string) events.SQSMessage {
	return events.SQSMessage{
		MessageId: id, Body: body, EventSource: "aws:sqs", EventSourceARN: queueARN,
		Attributes: map[string]string{"SenderId": sender, "ApproximateReceiveCount": "1"},
	}
}

func decodeOne(t *testing.T, m events.SQSMessage, opts Options) Invocation {
	t.Helper()
	payload, err := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{m}})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := Decode(payload, opts)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return inv
}

// TestWorkItemsAreAcceptedOnlyFromTheFunctionsOwnPlanner: a work item
// (which the dispatcher runs through the member role, an offboarding
// without a minimum age) is believed only when SQS says the function's own
// role sent it.
func TestWorkItemsAreAcceptedOnlyFromTheFunctionsOwnPlanner(t *testing.T) {
	tests := []struct {
		name   string
		sender string
		opts   Options
		reason string // "" when accepted
	}{
		{"sent by the function's role", ownPrincipal, trusted, ""},
		{"sent by another session of the function's role", "AROAOWNFUNCTIONROLE01:awslambda_123_20260101", trusted, ""},
		{"sent by another principal", "AIDAFORGEDSENDER0001", trusted, `sent by "AIDAFORGEDSENDER0001", not by the function's own principal AROAOWNFUNCTIONROLE01`},
		{"sent by a role whose ID starts like the function's", "AROAOWNFUNCTIONROLE012:x", trusted, "not by the function's own principal"},
		{"with no SenderId", "", trusted, `sent by "", not by`},
		{"to a function that does not know its principal", ownPrincipal, Options{}, "does not know its own principal ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := decodeOne(t, sqsMessage(msgID(1), workItemBody, tt.sender, cleanupQueue), tt.opts)
			if tt.reason == "" {
				if len(inv.Requests) != 1 || inv.Requests[0].WorkItem == nil || len(inv.Rejections) != 0 {
					t.Fatalf("requests %+v, rejections %+v; want the work item", inv.Requests, inv.Rejections)
				}
				return
			}
			if len(inv.Requests) != 0 || len(inv.Rejections) != 1 || !strings.Contains(inv.Rejections[0].Reason, tt.reason) {
				t.Fatalf("requests %+v, rejections %+v; want the work item refused saying %q", inv.Requests, inv.Rejections, tt.reason)
			}
		})
	}
}

// TestWorkItemsComeOnlyThroughSQS: a direct invocation or a custom event
// has no SenderId to check.
func TestWorkItemsComeOnlyThroughSQS(t *testing.T) {
	var pe *PayloadError
	if _, err := Decode([]byte(workItemBody), trusted); !errors.As(err, &pe) || !strings.Contains(pe.Reason, "work items are accepted only as SQS messages") {
		t.Errorf("direct work item: error %v, want it refused as not from the planner", err)
	}
	event := `{"version":"0","id":"e1","detail-type":"Connection Cleanup Requested","source":"apprunner.connection-cleanup","detail":` + workItemBody + `}`
	if _, err := Decode([]byte(event), trusted); !errors.As(err, &pe) || !strings.Contains(pe.Reason, "work items are accepted only as SQS messages") {
		t.Errorf("custom-event work item: error %v, want it refused as not from the planner", err)
	}
}

// TestServiceEventsInAQueueBodyAreNotBelieved: AWS delivers its events by
// invoking the function; one in a message body was written by whoever
// sent the message.
func TestServiceEventsInAQueueBodyAreNotBelieved(t *testing.T) {
	moveAccount := `{"version":"0","id":"m1","detail-type":"AWS API Call via CloudTrail","source":"aws.organizations","detail":` +
		`{"eventName":"MoveAccount","requestParameters":{"accountId":"456789012345","destinationParentId":"ou-demo-offboard1"}}}`
	for name, body := range map[string]string{
		"an Organizations MoveAccount": moveAccount,
		"an App Runner deletion": `{"version":"0","id":"a1","detail-type":"AppRunner Service Operation Status Change","source":"aws.apprunner",` +
			`"resources":["` + svcStore + `"],"detail":{"operationStatus":"DeleteServiceCompletedSuccessfully"}}`,
		"a schedule":           `{"version":"0","id":"s1","detail-type":"Scheduled Event","source":"aws.events","detail":{}}`,
		"an upper-case source": strings.Replace(moveAccount, "aws.organizations", "AWS.Organizations", 1),
	} {
		t.Run(name, func(t *testing.T) {
			inv := decodeOne(t, sqsMessage(msgID(1), body, ownPrincipal, cleanupQueue), trusted)
			if len(inv.Requests) != 0 || len(inv.Rejections) != 1 || !strings.Contains(inv.Rejections[0].Reason, "AWS service event") {
				t.Fatalf("requests %+v, rejections %+v; want the body refused as an AWS service event", inv.Requests, inv.Rejections)
			}
		})
	}
	// Delivered by EventBridge itself, the same MoveAccount is a hint the
	// planner checks.
	inv, err := Decode([]byte(moveAccount), trusted)
	if err != nil || len(inv.Requests) != 1 || inv.Requests[0].Plan == nil {
		t.Fatalf("a MoveAccount delivered directly: %+v, %v; want an offboarding plan", inv.Requests, err)
	}
}

// TestOffboardingIsRequestedOnlyByThoseAllowedTo: offboarding deletes
// whatever the age, so only the offboarding queue, a direct invocation and
// the MoveAccount rule may ask for it; the cleanup queue and the request
// bus, open to those who may ask for sweeps, may not.
func TestOffboardingIsRequestedOnlyByThoseAllowedTo(t *testing.T) {
	plan := `{"action":"offboard","organizationalUnitIds":["ou-demo-offboard1"]}`
	role := `{"action":"offboard","roleArn":"` + offboardRole + `","regions":["eu-west-1"]}`
	sweepPlan := `{"action":"sweep","organizationalUnitIds":["ou-demo-workloads"]}`
	tests := []struct {
		name     string
		body     string
		queueARN string
		opts     Options
		accepted bool
	}{
		{"an offboarding plan on the cleanup queue", plan, cleanupQueue, trusted, false},
		{"a role's offboarding on the cleanup queue", role, cleanupQueue, trusted, false},
		{"an offboarding plan on the offboarding queue", plan, offboardQ, trusted, true},
		{"a role's offboarding on the offboarding queue", role, offboardQ, trusted, true},
		{"an offboarding with no offboarding queue configured", plan, offboardQ, Options{PlannerPrincipalID: ownPrincipal}, false},
		{"a sweep plan on the cleanup queue", sweepPlan, cleanupQueue, trusted, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := decodeOne(t, sqsMessage(msgID(1), tt.body, "AIDAPIPELINE00000001", tt.queueARN), tt.opts)
			if got := len(inv.Requests) == 1; got != tt.accepted {
				t.Fatalf("accepted %v (requests %+v, rejections %+v), want %v", got, inv.Requests, inv.Rejections, tt.accepted)
			}
			if !tt.accepted && !strings.Contains(inv.Rejections[0].Reason, "offboarding deletes connections whatever their age") {
				t.Errorf("reason %q, want it to say how offboarding is requested", inv.Rejections[0].Reason)
			}
		})
	}
	if _, err := Decode([]byte(plan), trusted); err != nil {
		t.Errorf("a direct offboarding plan: %v, want accepted", err)
	}
	var pe *PayloadError
	event := `{"version":"0","id":"e1","detail-type":"Connection Cleanup Requested","source":"apprunner.connection-cleanup","detail":` + plan + `}`
	if _, err := Decode([]byte(event), trusted); !errors.As(err, &pe) || !strings.Contains(pe.Reason, "offboarding deletes connections") {
		t.Errorf("an offboarding plan as a custom event: %v, want refused", err)
	}
}

// TestWorkItemThatDoesNotSayDryRunIsADryRun: the planner stamps every
// work item; one without the stamp was planned before it did, and may not
// delete on its own authority.
func TestWorkItemThatDoesNotSayDryRunIsADryRun(t *testing.T) {
	for body, want := range map[string]bool{
		`{"action":"sweep","accountId":"123456789012","region":"us-east-1","planId":"plan-1"}`:                true,
		`{"action":"sweep","accountId":"123456789012","region":"us-east-1","planId":"plan-1","dryRun":true}`:  true,
		`{"action":"sweep","accountId":"123456789012","region":"us-east-1","planId":"plan-1","dryRun":false}`: false,
		// Other requests left without dryRun run as configured.
		`{"action":"sweep"}`: false,
	} {
		inv := decodeOne(t, sqsMessage(msgID(1), body, ownPrincipal, cleanupQueue), trusted)
		if len(inv.Requests) != 1 || inv.Requests[0].DryRun != want {
			t.Errorf("%s: requests %+v, rejections %+v; want dry run %v", body, inv.Requests, inv.Rejections, want)
		}
	}
}

// TestRejectedBodiesAreQuotedWithoutCredentials: a token pasted into a
// message must not be copied into the logs and the dead-letter report.
func TestRejectedBodiesAreQuotedWithoutCredentials(t *testing.T) {
	const token = "ghp_0123456789abcdefABCDEF0123456789abcd"
	for name, body := range map[string]string{
		"a token in a field":        `{"action":"sweep","githubToken":"` + token + `"}`,
		"a token as the body":       token,
		"an access key in the body": "deploy with AKIAABCDEFGHIJKLMNOP please",
		"a bearer token":            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig",
	} {
		t.Run(name, func(t *testing.T) {
			inv := decodeOne(t, sqsMessage(msgID(1), body, ownPrincipal, cleanupQueue), trusted)
			if len(inv.Rejections) != 1 {
				t.Fatalf("rejections %+v, want one", inv.Rejections)
			}
			res := inv.Rejections[0].Result()
			for _, secret := range []string{token, "AKIAABCDEFGHIJKLMNOP", "eyJhbGciOiJIUzI1NiJ9"} {
				if strings.Contains(res.ARN+res.Reason, secret) {
					t.Errorf("result quotes a credential: input %q, reason %q", res.ARN, res.Reason)
				}
			}
			if !strings.Contains(res.ARN+res.Reason, request.Redacted) {
				t.Errorf("result %q / %q does not say what was redacted", res.ARN, res.Reason)
			}
		})
	}
}

// TestInvocationSaysWhoAsked: every request and rejection is attributed
// to what its envelope says of its sender.
func TestInvocationSaysWhoAsked(t *testing.T) {
	payload, err := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{
		sqsMessage(msgID(1), legacy, "AIDAPIPELINE00000001", cleanupQueue),
		sqsMessage(msgID(2), "not json", "AIDAOTHER00000000002", cleanupQueue),
	}})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := Decode(payload, trusted)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]request.Origin{
		msgID(1): {Trigger: "sqs", Principal: "AIDAPIPELINE00000001", Queue: cleanupQueue},
		msgID(2): {Trigger: "sqs", Principal: "AIDAOTHER00000000002", Queue: cleanupQueue},
	}
	if diff := cmp.Diff(want, inv.Origins()); diff != "" {
		t.Errorf("SQS origins (-want +got):\n%s", diff)
	}
	schedule := `{"version":"0","id":"s1","detail-type":"Scheduled Event","source":"aws.events","resources":["arn:aws:events:us-east-1:123456789012:rule/sweep"],"detail":{}}`
	inv, err = Decode([]byte(schedule), trusted)
	if err != nil {
		t.Fatal(err)
	}
	wantSchedule := map[string]request.Origin{"s1": {Trigger: "schedule", Source: "aws.events", EventID: "s1", Resources: []string{"arn:aws:events:us-east-1:123456789012:rule/sweep"}}}
	if diff := cmp.Diff(wantSchedule, inv.Origins()); diff != "" {
		t.Errorf("schedule origin (-want +got):\n%s", diff)
	}
}
