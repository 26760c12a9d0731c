package trigger

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
)

// requestForm wraps one JSON request in one form it can arrive in and
// returns what the decoder made of it: the request, or the reason it was
// refused.
type requestForm struct {
	name   string
	decode func(t *testing.T, request string) (cleanup.Request, string)
}

func requestForms() []requestForm {
	return []requestForm{
		{"direct", func(t *testing.T, request string) (cleanup.Request, string) {
			t.Helper()
			inv, err := Decode([]byte(request), Options{})
			return fromTop(t, inv, err)
		}},
		{"SQS body", func(t *testing.T, request string) (cleanup.Request, string) {
			t.Helper()
			return fromSQSBody(t, request)
		}},
		{"custom event detail", func(t *testing.T, request string) (cleanup.Request, string) {
			t.Helper()
			inv, err := Decode(customEvent(t, json.RawMessage(request)), Options{})
			return fromTop(t, inv, err)
		}},
		{"custom event string detail", func(t *testing.T, request string) (cleanup.Request, string) {
			t.Helper()
			inv, err := Decode(customEvent(t, request), Options{})
			return fromTop(t, inv, err)
		}},
	}
}

func customEvent(t *testing.T, detail any) []byte {
	t.Helper()
	return mustJSON(t, map[string]any{
		"id": "ev-1", "source": DefaultCustomEventSource, "detail-type": CustomDetailType, "detail": detail,
	})
}

func fromTop(t *testing.T, inv Invocation, err error) (cleanup.Request, string) {
	t.Helper()
	if err != nil {
		var pe *PayloadError
		if !errors.As(err, &pe) {
			t.Fatalf("Decode error = %v, want a *PayloadError", err)
		}
		return cleanup.Request{}, err.Error()
	}
	if len(inv.Requests) != 1 {
		t.Fatalf("got %d requests, want 1", len(inv.Requests))
	}
	return inv.Requests[0], ""
}

func fromSQSBody(t *testing.T, body string) (cleanup.Request, string) {
	t.Helper()
	ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-1", Body: body, EventSource: "aws:sqs"}}}
	inv, err := Decode(mustJSON(t, ev), Options{})
	if err != nil {
		t.Fatalf("an SQS batch was rejected: %v", err)
	}
	if len(inv.Requests) != 1 {
		t.Fatalf("got %d requests and notes %q, want 1 request", len(inv.Requests), inv.Notes)
	}
	return inv.Requests[0], inv.Requests[0].Invalid
}

func TestDecodeRequestFieldNamesMustMatchExactlyAndOnce(t *testing.T) {
	arns := `"connectionArns":["` + legacy + `"]`
	tests := []struct {
		name       string
		request    string
		reasonPart string // empty: the request is accepted
	}{
		{"exact names", `{"action":"delete",` + arns + `,"dryRun":true,"waitForServices":false}`, ""},
		{"dryRun repeated in capitals", `{"action":"delete",` + arns + `,"dryRun":true,"DRYRUN":false}`,
			`unknown field "DRYRUN" (field names are case-sensitive: did you mean "dryRun"?); accepted fields are action, connectionArns, dryRun, waitForServices`},
		{"dryRun in the wrong case alone", `{"action":"delete",` + arns + `,"dryrun":true}`, `did you mean "dryRun"?`},
		{"action in capitals", `{"Action":"sweep"}`, `unknown field "Action" (field names are case-sensitive: did you mean "action"?)`},
		{"dryRun twice", `{"action":"delete",` + arns + `,"dryRun":true,"dryRun":false}`,
			`field "dryRun" appears more than once: name each field once; accepted fields are action, connectionArns, dryRun, waitForServices`},
		{"action twice", `{"action":"sweep","action":"delete",` + arns + `}`, `field "action" appears more than once`},
		{"unknown field", `{"action":"sweep","force":true}`, `unknown field "force"; accepted fields are`},
		// null would decode as "not asked", which for dryRun is a real
		// deletion: a safety flag present must say what it means.
		{"dryRun null", `{"action":"delete",` + arns + `,"dryRun":null}`, `field "dryRun" is null`},
		{"dryRun null in a sweep", `{"action":"sweep","dryRun":null}`, `field "dryRun" is null`},
		{"waitForServices null", `{"action":"delete",` + arns + `,"dryRun":true,"waitForServices":null}`, `field "waitForServices" is null`},
	}
	for _, form := range requestForms() {
		for _, tt := range tests {
			t.Run(form.name+"/"+tt.name, func(t *testing.T) {
				req, reason := form.decode(t, tt.request)
				if tt.reasonPart == "" {
					if reason != "" {
						t.Fatalf("refused: %s", reason)
					}
					if req.DryRun == nil || !*req.DryRun {
						t.Errorf("dryRun = %v, want true", req.DryRun)
					}
					return
				}
				if !strings.Contains(reason, tt.reasonPart) {
					t.Errorf("reason %q does not say %q", reason, tt.reasonPart)
				}
			})
		}
	}
}

func TestDecodeEventWithoutDetailTypeIsRefusedAlikeAsPayloadAndSQSBody(t *testing.T) {
	const want = `field "detail-type" is missing or empty`
	tests := []struct {
		name  string
		event string
	}{
		{"custom event without detail-type", `{"id":"e-1","source":"` + DefaultCustomEventSource + `","detail":{"action":"sweep"}}`},
		{"scheduled event without detail-type", `{"id":"e-2","source":"aws.events","detail":{}}`},
		{"empty detail-type", `{"id":"e-3","source":"aws.events","detail-type":"","detail":{}}`},
		{"source and detail beside an action", `{"source":"aws.events","detail":{},"action":"sweep"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.event), Options{})
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("as the payload: Decode error = %v, want it to say %q", err, want)
			}
			if _, reason := fromSQSBody(t, tt.event); !strings.Contains(reason, want) {
				t.Errorf("as an SQS body: reason %q, want it to say %q", reason, want)
			}
		})
	}
}

func TestDecodeOffboardRequestInEveryForm(t *testing.T) {
	const (
		account = `"accountId":"` + offboardAccount + `"`
		role    = `"roleArn":"` + offboardRole + `"`
		regions = `"regions":["us-east-1","eu-west-1"]`
	)
	tests := []struct {
		name       string
		request    string
		want       cleanup.Request
		reasonPart string // when set, the request is refused with this reason
	}{
		{name: "account, role and regions",
			request: `{"action":"offboard",` + account + `,` + role + `,` + regions + `,"dryRun":false,"waitForServices":true}`,
			want: cleanup.Request{Action: cleanup.ActionOffboard, AccountID: offboardAccount, RoleARN: offboardRole,
				Regions: []string{"us-east-1", "eu-west-1"}, DryRun: ptr(false), WaitForServices: true}},
		{name: "regions alone, for the function's own account",
			request: `{"action":"offboard","regions":["us-east-1"]}`,
			want:    cleanup.Request{Action: cleanup.ActionOffboard, Regions: []string{"us-east-1"}}},
		{name: "whitespace is trimmed",
			request: `{"action":"offboard","accountId":" ` + offboardAccount + ` ","roleArn":"\t` + offboardRole + `\n","regions":[" eu-west-1 "]}`,
			want: cleanup.Request{Action: cleanup.ActionOffboard, AccountID: offboardAccount, RoleARN: offboardRole,
				Regions: []string{"eu-west-1"}}},
		// The engine, not the decoder, checks the role's form, the account
		// match and the regions, with the reason it knows best.
		{name: "role of another account is left to the engine",
			request: `{"action":"offboard","accountId":"123456789012",` + role + `,"regions":["mars-north-1"]}`,
			want: cleanup.Request{Action: cleanup.ActionOffboard, AccountID: "123456789012", RoleARN: offboardRole,
				Regions: []string{"mars-north-1"}}},

		{name: "offboard without regions", request: `{"action":"offboard",` + account + `,` + role + `}`,
			reasonPart: `action "offboard" needs at least one region in "regions"`},
		{name: "offboard with empty regions", request: `{"action":"offboard",` + account + `,"regions":[]}`,
			reasonPart: `action "offboard" needs at least one region in "regions"`},
		{name: "offboard with null regions", request: `{"action":"offboard",` + account + `,"regions":null}`,
			reasonPart: `field "regions" is null`},
		{name: "offboard with no regions", request: `{"action":"offboard",` + account + `}`,
			reasonPart: `action "offboard" needs at least one region in "regions"`},
		{name: "offboard with connectionArns", request: `{"action":"offboard",` + regions + `,"connectionArns":["` + legacy + `"]}`,
			reasonPart: `action "offboard" takes no "connectionArns" (got 1)`},
		{name: "regions with sweep", request: `{"action":"sweep",` + regions + `}`,
			reasonPart: `field "regions" applies to action "offboard" only`},
		{name: "accountId with sweep", request: `{"action":"sweep",` + account + `}`,
			reasonPart: `field "accountId" applies to action "offboard" only`},
		{name: "roleArn with delete", request: `{"action":"delete","connectionArns":["` + legacy + `"],` + role + `}`,
			reasonPart: `field "roleArn" applies to action "offboard" only`},
		{name: "empty accountId with sweep", request: `{"action":"sweep","accountId":""}`,
			reasonPart: `field "accountId" applies to action "offboard" only`},
		{name: "regions as a string", request: `{"action":"offboard","regions":"eu-west-1"}`,
			reasonPart: `field "regions" must be an array of strings, got a JSON string`},
		{name: "accountId as a number", request: `{"action":"offboard","accountId":210987654321,"regions":["eu-west-1"]}`,
			reasonPart: `field "accountId" must be a string, got a JSON number`},
		{name: "regions in the wrong case", request: `{"action":"offboard","Regions":["eu-west-1"]}`,
			reasonPart: `unknown field "Regions" (field names are case-sensitive: did you mean "regions"?)`},
		{name: "roleArn in the wrong case", request: `{"action":"offboard","roleARN":"` + offboardRole + `",` + regions + `}`,
			reasonPart: `did you mean "roleArn"?`},
		{name: "accountId twice", request: `{"action":"offboard",` + account + `,"accountId":"123456789012",` + regions + `}`,
			reasonPart: `field "accountId" appears more than once`},
		{name: "unknown action lists offboard", request: `{"action":"offboarding",` + regions + `}`,
			reasonPart: `unknown action "offboarding": use "sweep", "delete" or "offboard"`},
	}
	for _, form := range requestForms() {
		for _, tt := range tests {
			t.Run(form.name+"/"+tt.name, func(t *testing.T) {
				req, reason := form.decode(t, tt.request)
				if tt.reasonPart != "" {
					if !strings.Contains(reason, tt.reasonPart) {
						t.Errorf("reason %q does not say %q", reason, tt.reasonPart)
					}
					return
				}
				if reason != "" {
					t.Fatalf("refused: %s", reason)
				}
				req.ID = ""
				if d := cmp.Diff(tt.want, req); d != "" {
					t.Errorf("request (-want +got):\n%s", d)
				}
			})
		}
	}
}
