package trigger

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// requestForm wraps one JSON request in one form it can arrive in and
// returns what the decoder made of it: the inputs decoded (the request and
// the rejections of single ARNs, IDs left out), or the reason the request
// was refused whole.
type requestForm struct {
	name   string
	decode func(t *testing.T, request string) (got []input, refused string)
}

func requestForms() []requestForm {
	return []requestForm{
		{"direct", func(t *testing.T, request string) ([]input, string) {
			t.Helper()
			inv, err := Decode([]byte(request), Options{})
			return fromTop(t, inv, err)
		}},
		{"SQS body", func(t *testing.T, request string) ([]input, string) {
			t.Helper()
			return fromSQSBody(t, request)
		}},
		{"custom event detail", func(t *testing.T, request string) ([]input, string) {
			t.Helper()
			inv, err := Decode(customEvent(t, json.RawMessage(request)), Options{})
			return fromTop(t, inv, err)
		}},
		{"custom event string detail", func(t *testing.T, request string) ([]input, string) {
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

// fromTop reads a top-level payload's decoding: a request refused whole is
// a *PayloadError there.
func fromTop(t *testing.T, inv Invocation, err error) ([]input, string) {
	t.Helper()
	if err != nil {
		var pe *PayloadError
		if !errors.As(err, &pe) {
			t.Fatalf("Decode error = %v, want a *PayloadError", err)
		}
		return nil, err.Error()
	}
	checkInvocation(t, inv)
	got := inputs(inv)
	if len(got) == 0 {
		t.Fatalf("decoded nothing (notes %q), want a request or rejections", inv.Notes)
	}
	return withoutIDs(got), ""
}

// fromSQSBody reads a message body's decoding: a body refused whole is
// the message's only rejection, quoting the body.
func fromSQSBody(t *testing.T, body string) ([]input, string) {
	t.Helper()
	// From the offboarding queue, which may carry any request; what the
	// cleanup queue may not carry is trust_test.go's.
	ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-1", Body: body, EventSource: "aws:sqs", EventSourceARN: offboardQ}}}
	inv, err := Decode(mustJSON(t, ev), Options{OffboardQueueARN: offboardQ})
	if err != nil {
		t.Fatalf("an SQS batch was rejected: %v", err)
	}
	checkInvocation(t, inv)
	got := inputs(inv)
	for _, in := range got {
		if in.ID != "m-1" {
			t.Errorf("input %+v does not carry the message ID", in)
		}
	}
	if len(got) == 0 {
		t.Fatalf("decoded nothing (notes %q), want a request or rejections", inv.Notes)
	}
	if len(got) == 1 && got[0].Rejected != "" &&
		(got[0].Input == request.Excerpt(body, excerptRunes) || got[0].Input == request.Excerpt(strings.TrimSpace(body), excerptRunes)) {
		return nil, got[0].Rejected
	}
	return withoutIDs(got), ""
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
				got, refused := form.decode(t, tt.request)
				if tt.reasonPart == "" {
					if refused != "" {
						t.Fatalf("refused: %s", refused)
					}
					diffInputs(t, got, []input{{Action: request.ActionDelete, ARNs: []string{legacy}, DryRun: true}})
					return
				}
				if !strings.Contains(refused, tt.reasonPart) {
					t.Errorf("decoded as %+v, refused with %q; want it refused saying %q", got, refused, tt.reasonPart)
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
			if got, refused := fromSQSBody(t, tt.event); !strings.Contains(refused, want) {
				t.Errorf("as an SQS body: decoded as %+v, refused with %q; want it refused saying %q", got, refused, want)
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
	manyRegions := `"regions":["eu-west-1"` + strings.Repeat(`,"us-east-1"`, request.MaxRegions) + `]`
	tests := []struct {
		name       string
		request    string
		want       input
		reasonPart string // when set, the request is refused with this reason
	}{
		{name: "account, role and regions",
			request: `{"action":"offboard",` + account + `,` + role + `,` + regions + `,"dryRun":false,"waitForServices":true}`,
			want: input{Action: request.ActionOffboard, Role: offboardRole,
				Regions: []string{"us-east-1", "eu-west-1"}, WaitForServices: true}},
		{name: "role and regions, the account being the role's",
			request: `{"action":"offboard",` + role + `,"regions":["us-east-1"],"dryRun":true}`,
			want:    input{Action: request.ActionOffboard, Role: offboardRole, Regions: []string{"us-east-1"}, DryRun: true}},
		{name: "whitespace is trimmed",
			request: `{"action":"offboard","accountId":" ` + offboardAccount + ` ","roleArn":"\t` + offboardRole + `\n","regions":[" eu-west-1 "]}`,
			want:    input{Action: request.ActionOffboard, Role: offboardRole, Regions: []string{"eu-west-1"}}},
		{name: "a region named twice is named once",
			request: `{"action":"offboard",` + role + `,"regions":["eu-west-1","us-east-1"," eu-west-1"]}`,
			want:    input{Action: request.ActionOffboard, Role: offboardRole, Regions: []string{"eu-west-1", "us-east-1"}}},

		// The home account too is offboarded only through a role.
		{name: "regions alone", request: `{"action":"offboard","regions":["us-east-1"]}`,
			reasonPart: `offboarding needs "roleArn": an IAM role of the account to offboard, listed in OFFBOARD_ROLE_ARNS`},
		{name: "empty roleArn", request: `{"action":"offboard","roleArn":" ","regions":["us-east-1"]}`,
			reasonPart: `offboarding needs "roleArn"`},
		{name: "roleArn that is no role's", request: `{"action":"offboard","roleArn":"arn:aws:iam::210987654321:user/alice","regions":["us-east-1"]}`,
			reasonPart: `roleArn "arn:aws:iam::210987654321:user/alice": not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)`},
		{name: "role of another account than accountId",
			request:    `{"action":"offboard","accountId":"123456789012",` + role + `,"regions":["eu-west-1"]}`,
			reasonPart: "roleArn " + offboardRole + " belongs to account 210987654321, not to accountId 123456789012"},
		{name: "region without App Runner", request: `{"action":"offboard",` + role + `,"regions":["eu-west-1","eu-north-1"]}`,
			reasonPart: `region "eu-north-1": no App Runner there (partition aws: App Runner is offered in ap-northeast-1,`},
		{name: "made-up region", request: `{"action":"offboard",` + role + `,"regions":["zz-north-9"]}`,
			reasonPart: `region "zz-north-9": no App Runner there`},
		{name: "region of another planet", request: `{"action":"offboard",` + role + `,"regions":["mars-north-1"]}`,
			reasonPart: `region "mars-north-1" is not a region name such as us-east-1`},
		{name: "not a region name", request: `{"action":"offboard",` + role + `,"regions":["Europe"]}`,
			reasonPart: `region "Europe" is not a region name such as us-east-1`},
		{name: "too many regions", request: `{"action":"offboard",` + role + `,` + manyRegions + `}`,
			reasonPart: fmt.Sprintf("%d regions: at most %d per request", request.MaxRegions+1, request.MaxRegions)},

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
		// A sweep of one account is a work item: it needs its region.
		{name: "accountId with sweep", request: `{"action":"sweep",` + account + `}`,
			reasonPart: `field "accountId" of a sweep needs "region"`},
		{name: "roleArn with delete", request: `{"action":"delete","connectionArns":["` + legacy + `"],` + role + `}`,
			reasonPart: `field "roleArn" applies to action "offboard" only`},
		{name: "empty accountId with sweep", request: `{"action":"sweep","accountId":""}`,
			reasonPart: `field "accountId" of a sweep needs "region"`},
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
				got, refused := form.decode(t, tt.request)
				reasonPart := tt.reasonPart
				if reasonPart == "" && strings.HasPrefix(form.name, "custom event") {
					// The request bus admits those who may ask for sweeps.
					reasonPart = "offboarding deletes connections whatever their age, so it is requested only"
				}
				if reasonPart != "" {
					if !strings.Contains(refused, reasonPart) {
						t.Errorf("decoded as %+v, refused with %q; want it refused saying %q", got, refused, reasonPart)
					}
					return
				}
				if refused != "" {
					t.Fatalf("refused: %s", refused)
				}
				diffInputs(t, got, []input{tt.want})
			})
		}
	}
}

// TestDecodeStringDetailIsOneRequestObject: a detail sent as a JSON string
// is decoded as the request alone; what it holds besides, or instead, is
// refused.
func TestDecodeStringDetailIsOneRequestObject(t *testing.T) {
	tests := []struct {
		name, detail, reasonPart string
	}{
		{"a second object after the request", `{"action":"sweep"} {"action":"delete"}`, "unexpected data after the JSON request object"},
		{"no action", `{"dryRun":true}`, `field "action" is missing: use "sweep", "delete" or "offboard"`},
		{"cut short", `{"action":"sweep"`, "malformed JSON: the input ends early"},
		{"an array", `[{"action":"sweep"}]`, "expected an object, got a JSON array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(customEvent(t, tt.detail), Options{})
			var pe *PayloadError
			if !errors.As(err, &pe) || !strings.Contains(pe.Reason, "its detail is not a valid request: "+tt.reasonPart) {
				t.Errorf("Decode error = %v, want a *PayloadError saying %q", err, tt.reasonPart)
			}
		})
	}
}
