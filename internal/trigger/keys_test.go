package trigger

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

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
