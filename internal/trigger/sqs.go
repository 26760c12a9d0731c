package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/aws/aws-lambda-go/events"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
)

// bodyForms is appended to the reason of every invalid SQS message.
const bodyForms = "send a bare connection ARN, a JSON request " +
	`{"action":"delete","connectionArns":[...]} or an EventBridge event`

// decodeRecords decodes a payload with a Records list: an SQS batch, or an
// event of another service that uses the same outer shape.
func decodeRecords(b []byte, opts Options) (Invocation, error) {
	// eventSource is matched case-insensitively, which also reads SNS's
	// "EventSource", so the error can name the service that sent it.
	var probe struct {
		Records []struct {
			EventSource string `json:"eventSource"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return Invocation{}, &PayloadError{Received: "an event with Records " + excerpt(b), Reason: jsonProblem(err)}
	}
	if len(probe.Records) == 0 {
		return Invocation{}, &PayloadError{Received: "an event with an empty Records list", Reason: "there is no message to process"}
	}
	for i, r := range probe.Records {
		if r.EventSource != "aws:sqs" {
			return Invocation{}, &PayloadError{
				Received: fmt.Sprintf("an event whose Records[%d] comes from eventSource %q", i, r.EventSource),
				Reason:   "only SQS events (eventSource aws:sqs) carry Records this function reads",
			}
		}
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		return Invocation{}, &PayloadError{Received: "an SQS event " + excerpt(b), Reason: jsonProblem(err)}
	}
	return decodeSQS(ev, opts), nil
}

// decodeSQS makes one request (or one note) of every distinct message.
// Each message stands alone: one bad body never affects the others.
func decodeSQS(ev events.SQSEvent, opts Options) Invocation {
	inv := Invocation{Kind: KindSQS}
	seen := make(map[string]bool, len(ev.Records))
	for i, m := range ev.Records {
		id := m.MessageId
		if id == "" {
			// Lambda fails the whole batch on an unknown item identifier,
			// which is the safe answer for a record SQS cannot name.
			id = fmt.Sprintf("Records[%d]", i)
		}
		if seen[id] {
			inv.Notes = append(inv.Notes, fmt.Sprintf("SQS message %s appears more than once in the batch: processed once", id))
			continue
		}
		seen[id] = true
		inv.messageIDs = append(inv.messageIDs, id)
		if m.MessageId == "" {
			inv.Requests = append(inv.Requests, invalid(id, []byte(m.Body), "the SQS record has no messageId"))
			continue
		}
		req, note := decodeBody(id, []byte(m.Body), opts)
		if req != nil {
			inv.Requests = append(inv.Requests, *req)
		} else {
			inv.Notes = append(inv.Notes, fmt.Sprintf("SQS message %s: %s", id, note))
		}
	}
	return inv
}

// decodeBody decodes one message body into a request, or into a note when
// the body is an event that asks for nothing. It never fails: an
// undecodable body is an invalid request.
func decodeBody(id string, body []byte, opts Options) (*cleanup.Request, string) {
	if len(body) > MaxBodyBytes {
		r := invalid(id, body, fmt.Sprintf("the body is %d bytes, more than the %d bytes accepted; %s", len(body), MaxBodyBytes, bodyForms))
		return &r, ""
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		what := "empty"
		if len(body) > 0 {
			what = "only whitespace"
		}
		r := invalid(id, body, fmt.Sprintf("the body is %s; %s", what, bodyForms))
		return &r, ""
	}
	switch trimmed[0] {
	case '{':
		return decodeJSONBody(id, trimmed, opts)
	case '"':
		// A JSON string holding an ARN is an ARN that a producer encoded.
		var s string
		if err := json.Unmarshal(trimmed, &s); err == nil && looksLikeARN(strings.TrimSpace(s)) {
			return arnRequest(id, strings.TrimSpace(s)), ""
		}
	}
	if looksLikeARN(string(trimmed)) {
		return arnRequest(id, string(trimmed)), ""
	}
	r := invalid(id, body, fmt.Sprintf("the body is %s, not a connection ARN, a JSON request or an EventBridge event; %s", bodyKind(trimmed), bodyForms))
	return &r, ""
}

// decodeJSONBody decodes a JSON object body: an EventBridge event that
// EventBridge sent to the queue, or the JSON request.
func decodeJSONBody(id string, body []byte, opts Options) (*cleanup.Request, string) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil {
		r := invalid(id, body, fmt.Sprintf("the body is malformed JSON (%s); %s", jsonProblem(err), bodyForms))
		return &r, ""
	}
	if isEvent(probe) {
		ev, err := decodeEvent(body, opts)
		if err != nil {
			var pe *PayloadError
			reason := err.Error()
			if errors.As(err, &pe) {
				reason = fmt.Sprintf("the body is %s: %s", pe.Received, pe.Reason)
			}
			r := invalid(id, body, reason)
			return &r, ""
		}
		if ev.req == nil {
			return nil, ev.note
		}
		// The message, not the event inside it, is what SQS retries.
		ev.req.ID = id
		return ev.req, ""
	}
	if !hasFold(probe, "action") {
		r := invalid(id, body, fmt.Sprintf("the body is a JSON object with fields %s, neither a request nor an EventBridge event; %s", fieldList(probe), bodyForms))
		return &r, ""
	}
	req, err := decodeRequest(body, opts)
	if err != nil {
		r := invalid(id, body, fmt.Sprintf("the body is not a valid request: %v", err))
		return &r, ""
	}
	req.ID = id
	return &req, ""
}

func arnRequest(id, arn string) *cleanup.Request {
	return &cleanup.Request{ID: id, Action: cleanup.ActionDelete, ConnectionARNs: []string{arn}}
}

// looksLikeARN accepts one whitespace-free word that starts as an ARN does
// and fits App Runner's ARN length limit. Whether it names a connection of
// the right account and region is the engine's decision.
func looksLikeARN(s string) bool {
	if !strings.HasPrefix(s, "arn:") || len(s) > maxARNLength {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) })
}

// bodyKind names what an unaccepted body looks like.
func bodyKind(b []byte) string {
	switch {
	case strings.HasPrefix(string(b), "arn:"):
		return fmt.Sprintf("text starting with arn: that is not one ARN (%d bytes, with spaces or over %d characters)", len(b), maxARNLength)
	case json.Valid(b):
		return describeJSON(b)
	}
	return fmt.Sprintf("non-JSON text of %d bytes %s", len(b), excerpt(b))
}

// invalid is the request that carries an undecodable message to the
// engine, which reports it as one invalid result.
func invalid(id string, body []byte, reason string) cleanup.Request {
	return cleanup.Request{ID: id, Invalid: reason, Raw: shorten(body)}
}
