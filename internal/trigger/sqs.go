package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/aws/aws-lambda-go/events"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// bodyForms is appended to the reason of every invalid SQS message.
const bodyForms = "send a bare connection ARN, a JSON request " +
	`{"action":"delete","connectionArns":[...]} or an EventBridge event`

// decodeRecords decodes a payload's Records list: an SQS batch, or an
// event of another service that uses the same outer shape. The records are
// decoded once, as SQS messages; eventSource is matched case-insensitively,
// which also reads SNS's "EventSource", so the error can name the service
// that sent it.
func decodeRecords(records json.RawMessage, opts Options) (Invocation, error) {
	var msgs []events.SQSMessage
	if err := json.Unmarshal(records, &msgs); err != nil {
		return Invocation{}, &PayloadError{Received: "an event with Records " + excerpt(records), Reason: jsonProblem(err)}
	}
	if len(msgs) == 0 {
		return Invocation{}, &PayloadError{Received: "an event with an empty Records list", Reason: "there is no message to process"}
	}
	for i, m := range msgs {
		if m.EventSource != "aws:sqs" {
			return Invocation{}, &PayloadError{
				Received: fmt.Sprintf("an event whose Records[%d] comes from eventSource %q", i, m.EventSource),
				Reason:   "only SQS events (eventSource aws:sqs) carry Records this function reads",
			}
		}
	}
	return decodeSQS(msgs, opts), nil
}

// decodeSQS makes one request (or one note) of every distinct message.
// Each message stands alone: one bad body never affects the others.
func decodeSQS(msgs []events.SQSMessage, opts Options) Invocation {
	inv := Invocation{Kind: KindSQS, origins: make(map[string]request.Origin, len(msgs))}
	seen := make(map[string]bool, len(msgs))
	for i, m := range msgs {
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
		inv.origins[id] = sqsOrigin(m)
		if m.MessageId == "" {
			inv.Rejections = append(inv.Rejections, refusal(id, []byte(m.Body), "the SQS record has no messageId"))
			continue
		}
		d := decodeBody(id, []byte(m.Body), opts)
		if why := admit(d.req, KindSQS, &m, opts); why != "" {
			d = rejected(id, []byte(m.Body), why)
		}
		if d.req != nil {
			inv.Requests = append(inv.Requests, *d.req)
		}
		inv.Rejections = append(inv.Rejections, d.rejected...)
		if d.note != "" {
			inv.Notes = append(inv.Notes, fmt.Sprintf("SQS message %s: %s", id, d.note))
		}
	}
	return inv
}

// decodeBody decodes one message body into a request, or into a note when
// the body is an event that asks for nothing. It never fails: an
// undecodable body is rejected.
func decodeBody(id string, body []byte, opts Options) decoded {
	if len(body) > MaxBodyBytes {
		return rejected(id, body, fmt.Sprintf("the body is %d bytes, more than the %d bytes accepted; %s", len(body), MaxBodyBytes, bodyForms))
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		what := "empty"
		if len(body) > 0 {
			what = "only whitespace"
		}
		return rejected(id, body, fmt.Sprintf("the body is %s; %s", what, bodyForms))
	}
	switch trimmed[0] {
	case '{':
		return decodeJSONBody(id, trimmed, opts)
	case '"':
		// A JSON string holding an ARN is an ARN that a producer encoded.
		var s string
		if err := json.Unmarshal(trimmed, &s); err == nil && looksLikeARN(strings.TrimSpace(s)) {
			return arnRequest(id, s)
		}
	}
	if looksLikeARN(string(trimmed)) {
		return arnRequest(id, string(trimmed))
	}
	return rejected(id, body, fmt.Sprintf("the body is %s, not a connection ARN, a JSON request or an EventBridge event; %s", bodyKind(trimmed), bodyForms))
}

// decodeJSONBody decodes a JSON object body: an EventBridge event that
// EventBridge sent to the queue, or the JSON request.
func decodeJSONBody(id string, body []byte, opts Options) decoded {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil {
		return rejected(id, body, fmt.Sprintf("the body is malformed JSON (%s); %s", jsonProblem(err), bodyForms))
	}
	if isEvent(probe) {
		ev, err := decodeEvent(body, opts, true)
		if err != nil {
			var pe *PayloadError
			reason := err.Error()
			if errors.As(err, &pe) {
				reason = fmt.Sprintf("the body is %s: %s", pe.Received, pe.Reason)
			}
			return rejected(id, body, reason)
		}
		// The message, not the event inside it, is what SQS retries.
		if ev.req != nil {
			ev.req.ID = id
		}
		for i := range ev.rejected {
			ev.rejected[i].RequestID = id
		}
		return ev
	}
	if !hasFold(probe, "action") {
		return rejected(id, body, fmt.Sprintf("the body is a JSON object with fields %s, neither a request nor an EventBridge event; %s", fieldList(probe), bodyForms))
	}
	req, rej, err := decodeRequest(id, body)
	if err != nil {
		return rejected(id, body, fmt.Sprintf("the body is not a valid request: %v", err))
	}
	return decoded{kind: KindSQS, req: req, rejected: rej}
}

// arnRequest is the deletion a bare ARN body asks for.
func arnRequest(id, arn string) decoded {
	req, rej, err := request.RawRequest{ID: id, Action: request.ActionDelete, ConnectionARNs: []string{arn}}.Check()
	if err != nil {
		return rejected(id, []byte(arn), err.Error())
	}
	return decoded{kind: KindSQS, req: req, rejected: rej}
}

// looksLikeARN accepts one whitespace-free word that starts as an ARN does
// and fits the longest ARN accepted. Whether it names a connection of the
// right account and region is for the request's check and the engine.
func looksLikeARN(s string) bool {
	if !strings.HasPrefix(s, "arn:") || len(s) > request.MaxARNLength {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) })
}

// bodyKind names what an unaccepted body looks like.
func bodyKind(b []byte) string {
	switch {
	case strings.HasPrefix(string(b), "arn:"):
		return fmt.Sprintf("text starting with arn: that is not one ARN (%d bytes, with spaces or over %d characters)", len(b), request.MaxARNLength)
	case json.Valid(b):
		return describeJSON(b)
	}
	return fmt.Sprintf("non-JSON text of %d bytes %s", len(b), excerpt(b))
}

// rejected is a message body that cannot be decoded, quoted as briefly as
// an error message quotes a payload.
func rejected(id string, body []byte, reason string) decoded {
	return decoded{kind: KindSQS, rejected: []request.Rejection{refusal(id, body, reason)}}
}
