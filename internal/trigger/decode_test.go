package trigger

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
)

const (
	arnPrefix  = "arn:aws:apprunner:us-east-1:123456789012:connection/"
	legacy     = arnPrefix + "legacy-github/7c3bb97d87a2b0d482acd89eaad25d3b"
	queue      = arnPrefix + "queue-target/79b270b00e9f42af97ed0524c75190b2"
	broken     = arnPrefix + "broken-link/7cfe1d215416fa77ec6e3c0957f88f41"
	teardown   = arnPrefix + "teardown-target/08f786949203e5042414412c361f9e58"
	storefront = arnPrefix + "storefront-github/04c55319304afef88d844f848df39fac"
	billing    = arnPrefix + "billing-github/f9db0bcd306cf3dd29651d9e821f6a4e"
	pending    = arnPrefix + "pending-handshake/9f61aad4b830d6facc1763da7f76f4fc"
	otherAcct  = "arn:aws:apprunner:eu-west-1:210987654321:connection/other-account-conn/b38a73dfc7b965992616f4109dedfb95"
	svcStore   = "arn:aws:apprunner:us-east-1:123456789012:service/storefront/e924861fb4ac77d6cf32419f8ae674c8"
	svcRetired = "arn:aws:apprunner:us-east-1:123456789012:service/retired-worker/7a4e0c16c1fe5bf4b907967c84f19b80"

	offboardAccount = "210987654321"
	offboardRole    = "arn:aws:iam::210987654321:role/AppRunnerConnectionCleanup"
)

func msgID(i int) string { return fmt.Sprintf("3b8e9f21-5c1d-4a7e-9b0f-%012d", i) }

func ptr[T any](v T) *T { return &v }

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bad is a request the decoder must mark invalid; the string is a part
// of the reason that names what was wrong.
func bad(id, reasonPart string) cleanup.Request {
	return cleanup.Request{ID: id, Invalid: reasonPart}
}

// diffRequests compares requests, matching an expected Invalid as a
// substring of the reason; every invalid request must carry a Raw excerpt
// unless the body was empty.
func diffRequests(t *testing.T, got, want []cleanup.Request) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d requests, want %d:\n%s", len(got), len(want), cmp.Diff(want, got))
	}
	if len(got) == 0 {
		return
	}
	g := make([]cleanup.Request, len(got))
	copy(g, got)
	for i := range g {
		switch {
		case want[i].Invalid == "" && g[i].Invalid != "":
			t.Errorf("request %s: got invalid %q, want a valid request", g[i].ID, g[i].Invalid)
		case want[i].Invalid != "" && !strings.Contains(g[i].Invalid, want[i].Invalid):
			t.Errorf("request %s: got reason %q, want it to contain %q", g[i].ID, g[i].Invalid, want[i].Invalid)
		}
		if g[i].Invalid != "" {
			g[i].Invalid = want[i].Invalid
		}
		g[i].Raw = ""
	}
	if d := cmp.Diff(want, g); d != "" {
		t.Errorf("requests (-want +got):\n%s", d)
	}
}

func TestDecodeTestdata(t *testing.T) {
	tests := []struct {
		file      string
		kind      Kind
		requests  []cleanup.Request
		notes     int
		errorPart string // when set, Decode must fail with a *PayloadError saying this
	}{
		{file: "direct-delete.json", kind: KindDirect, requests: []cleanup.Request{
			{Action: cleanup.ActionDelete, ConnectionARNs: []string{legacy, storefront}, DryRun: ptr(true)}}},
		{file: "direct-sweep.json", kind: KindDirect, requests: []cleanup.Request{{Action: cleanup.ActionSweep}}},
		{file: "direct-sweep-wait.json", kind: KindDirect, requests: []cleanup.Request{
			{Action: cleanup.ActionSweep, DryRun: ptr(false), WaitForServices: true}}},
		{file: "direct-offboard.json", kind: KindDirect, requests: []cleanup.Request{
			{Action: cleanup.ActionOffboard, AccountID: offboardAccount, RoleARN: offboardRole, Regions: []string{"eu-west-1"},
				DryRun: ptr(false), WaitForServices: true}}},
		{file: "direct-unknown-field.json", errorPart: `unknown field "dry_run"; accepted fields are action, connectionArns, dryRun, waitForServices, accountId, roleArn, regions`},
		{file: "direct-delete-no-arns.json", errorPart: `action "delete" needs at least one ARN`},
		{file: "direct-sweep-with-arns.json", errorPart: `action "sweep" takes no "connectionArns"`},
		{file: "direct-unknown-action.json", errorPart: `unknown action "purge": use "sweep", "delete" or "offboard"`},
		{file: "direct-wrong-type.json", errorPart: `field "dryRun" must be a boolean (true or false), got a JSON string`},
		{file: "direct-too-many-arns.json", errorPart: "names 1001 ARNs, more than the 1000"},

		{file: "eventbridge-scheduled.json", kind: KindSchedule, requests: []cleanup.Request{
			{ID: "5e1f6a2c-9d3b-4c8e-a7f0-1b2c3d4e5f60", Action: cleanup.ActionSweep}}},
		{file: "eventbridge-scheduler-default.json", kind: KindScheduler, requests: []cleanup.Request{
			{ID: "0c8d4b1e-7a6f-4e2d-9c3b-5a4f3e2d1c0b", Action: cleanup.ActionSweep}}},
		{file: "eventbridge-custom.json", kind: KindCustom, requests: []cleanup.Request{
			{ID: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", Action: cleanup.ActionDelete, ConnectionARNs: []string{teardown, storefront}}}},
		{file: "eventbridge-custom-dry-run.json", kind: KindCustom, requests: []cleanup.Request{
			{ID: "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e", Action: cleanup.ActionDelete, ConnectionARNs: []string{legacy}, DryRun: ptr(true)}}},
		{file: "eventbridge-custom-offboard.json", kind: KindCustom, requests: []cleanup.Request{
			{ID: "d4e5f6a7-b8c9-4d0e-9f1a-3b4c5d6e7f80", Action: cleanup.ActionOffboard, AccountID: offboardAccount, RoleARN: offboardRole,
				Regions: []string{"eu-west-1"}, WaitForServices: true}}},
		{file: "eventbridge-custom-string-detail.json", kind: KindCustom, requests: []cleanup.Request{
			{ID: "c3d4e5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f", Action: cleanup.ActionSweep}}},
		{file: "eventbridge-custom-wrong-source.json", errorPart: `source "com.example.deploy"`},
		{file: "eventbridge-custom-bad-detail.json", errorPart: `unknown field "connectionArn"`},
		{file: "eventbridge-custom-no-detail.json", errorPart: "it has no detail"},
		{file: "eventbridge-apprunner-delete-completed.json", kind: KindAppRunner, requests: []cleanup.Request{
			{ID: "6a7e8feb-b491-4cf7-a9f1-bf3703467718", Action: cleanup.ActionSweep, ServiceARN: svcRetired}}},
		{file: "eventbridge-apprunner-deploy-completed.json", kind: KindAppRunner, notes: 1},
		{file: "eventbridge-apprunner-delete-no-resources.json", errorPart: "must name the service in resources[0]"},
		{file: "eventbridge-apprunner-status-change.json", errorPart: `detail-type "AppRunner Service Status Change"`},
		{file: "eventbridge-s3-object-created.json", errorPart: `source "aws.s3"`},

		{file: "sqs-single-arn.json", kind: KindSQS, requests: []cleanup.Request{
			{ID: msgID(1), Action: cleanup.ActionDelete, ConnectionARNs: []string{queue}}}},
		{file: "sqs-batch-mixed.json", kind: KindSQS, notes: 1, requests: []cleanup.Request{
			{ID: msgID(1), Action: cleanup.ActionDelete, ConnectionARNs: []string{queue}},
			{ID: msgID(2), Action: cleanup.ActionDelete, ConnectionARNs: []string{broken}},
			{ID: msgID(3), Action: cleanup.ActionDelete, ConnectionARNs: []string{pending}},
			// The engine, not the decoder, refuses a service ARN or another
			// account's ARN, with the reason it knows best.
			{ID: msgID(5), Action: cleanup.ActionDelete, ConnectionARNs: []string{svcStore}},
			{ID: msgID(6), Action: cleanup.ActionDelete, ConnectionARNs: []string{otherAcct}},
			bad(msgID(7), "non-JSON text of 2048 bytes"),
			bad(msgID(8), "the body is empty; send a bare connection ARN"),
			{ID: msgID(9), Action: cleanup.ActionDelete, ConnectionARNs: []string{billing}, WaitForServices: true},
		}},
		{file: "sqs-bad-bodies.json", kind: KindSQS, requests: []cleanup.Request{
			bad(msgID(1), "the body is only whitespace"),
			bad(msgID(2), `non-JSON text of 10 bytes "not an arn"`),
			bad(msgID(3), "a JSON array"),
			bad(msgID(4), `unknown action "purge"`),
			bad(msgID(5), `field "connectionArns" must be an array of strings, got a JSON string`),
			bad(msgID(6), `field "dryRun" must be a boolean`),
			bad(msgID(7), `a JSON object with fields ["connection"], neither a request nor an EventBridge event`),
			bad(msgID(8), "malformed JSON"),
			bad(msgID(9), `action "sweep" takes no "connectionArns"`),
			bad(msgID(10), `action "delete" needs at least one ARN`),
			bad(msgID(11), "a JSON number"),
			bad(msgID(12), "not one ARN"),
			bad(msgID(13), `accepted only from source "apprunner.connection-cleanup"`),
		}},
		{file: "sqs-eventbridge-envelope.json", kind: KindSQS, notes: 1, requests: []cleanup.Request{
			{ID: msgID(1), Action: cleanup.ActionDelete, ConnectionARNs: []string{pending}},
			{ID: msgID(2), Action: cleanup.ActionSweep, ServiceARN: svcRetired},
		}},

		{file: "sns-event.json", errorPart: `Records[0] comes from eventSource "aws:sns"`},
		{file: "empty-object.json", errorPart: "an empty JSON object"},
		{file: "null.json", errorPart: "JSON null"},
		{file: "number.json", errorPart: "a JSON number"},
		{file: "not-json.txt", errorPart: `non-JSON text "please delete my connections`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			inv, err := Decode(readTestdata(t, tt.file), Options{})
			if tt.errorPart != "" {
				var pe *PayloadError
				if !errors.As(err, &pe) {
					t.Fatalf("Decode error = %v, want a *PayloadError", err)
				}
				if !strings.Contains(err.Error(), tt.errorPart) {
					t.Errorf("error %q does not say %q", err, tt.errorPart)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if inv.Kind != tt.kind {
				t.Errorf("kind = %q, want %q", inv.Kind, tt.kind)
			}
			diffRequests(t, inv.Requests, tt.requests)
			if len(inv.Notes) != tt.notes {
				t.Errorf("notes = %q, want %d of them", inv.Notes, tt.notes)
			}
		})
	}
}

func TestDecodeSQSBodies(t *testing.T) {
	huge := strings.Repeat("a", MaxBodyBytes+1)
	tests := []struct {
		name string
		body string
		want cleanup.Request
	}{
		{"bare ARN with surrounding whitespace", "  " + legacy + "\n", cleanup.Request{Action: cleanup.ActionDelete, ConnectionARNs: []string{legacy}}},
		{"ARN as a JSON string", `"` + legacy + `"`, cleanup.Request{Action: cleanup.ActionDelete, ConnectionARNs: []string{legacy}}},
		{"ARNs in a request are trimmed", `{"action":"delete","connectionArns":[" ` + legacy + ` "]}`, cleanup.Request{Action: cleanup.ActionDelete, ConnectionARNs: []string{legacy}}},
		{"oversized body", huge, bad("", "more than the 262144 bytes accepted")},
		{"2 KB garbage", strings.Repeat("x7!", 700)[:2048], bad("", "non-JSON text of 2048 bytes")},
		{"invalid UTF-8", "\xff\xfe\xfd", bad("", "non-JSON text of")},
		{"ARN too long", "arn:" + strings.Repeat("a", maxARNLength), bad("", "not one ARN")},
		{"trailing data after request", `{"action":"sweep"} {"action":"sweep"}`, bad("", "malformed JSON")},
		{"missing action", `{"connectionArns":["` + legacy + `"]}`, bad("", `neither a request nor an EventBridge event`)},
		{"null action", `{"connectionArns":["` + legacy + `"],"action":null}`, bad("", `field "action" is null`)},
		{"JSON true", "true", bad("", "a JSON boolean true")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-1", Body: tt.body, EventSource: "aws:sqs"}}}
			payload, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			inv, err := Decode(payload, Options{})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			tt.want.ID = "m-1"
			diffRequests(t, inv.Requests, []cleanup.Request{tt.want})
			if r := inv.Requests[0]; r.Invalid != "" && len(r.Raw) > 4*excerptRunes+32 {
				t.Errorf("Raw is %d bytes, want a short excerpt", len(r.Raw))
			}
		})
	}
}

func TestDecodeCustomSourceIsConfigurable(t *testing.T) {
	payload := readTestdata(t, "eventbridge-custom-wrong-source.json")
	inv, err := Decode(payload, Options{CustomEventSource: "com.example.deploy"})
	if err != nil {
		t.Fatalf("Decode with the configured source: %v", err)
	}
	if inv.Kind != KindCustom || len(inv.Requests) != 1 {
		t.Errorf("got %+v, want one custom request", inv)
	}
	if _, err := Decode(readTestdata(t, "eventbridge-custom.json"), Options{CustomEventSource: "com.example.deploy"}); err == nil {
		t.Error("the default source was accepted although another one is configured")
	}
}

func TestDecodeMaxARNsIsConfigurable(t *testing.T) {
	_, err := Decode(readTestdata(t, "direct-delete.json"), Options{MaxARNs: 1})
	if err == nil || !strings.Contains(err.Error(), "names 2 ARNs, more than the 1") {
		t.Errorf("Decode error = %v, want the ARN limit named", err)
	}
}

func TestDecodeUnknownPayloadNamesWhatWasReceivedAndWhatIsAccepted(t *testing.T) {
	tests := []struct {
		name     string
		payload  string
		received string
	}{
		{"empty", "", "received an empty payload"},
		{"whitespace", " \n", "received an empty payload"},
		{"null", "null", "received JSON null"},
		{"number", "3.14", `received a JSON number "3.14"`},
		{"string", `"hello"`, `received a JSON string "\"hello\""`},
		{"array", `[1,2]`, `received a JSON array "[1,2]"`},
		{"empty object", "{}", "received an empty JSON object"},
		{"other object", `{"foo":1,"bar":2}`, `received a JSON object with fields ["bar", "foo"]`},
		{"truncated object", `{"action":`, "received malformed JSON"},
		{"empty Records", `{"Records":[]}`, "received an event with an empty Records list"},
		{"S3 notification", `{"Records":[{"eventSource":"aws:s3"}]}`, `eventSource "aws:s3"`},
		{"long garbage", strings.Repeat("z", 5000), "(5000 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.payload), Options{})
			var pe *PayloadError
			if !errors.As(err, &pe) {
				t.Fatalf("Decode error = %v, want a *PayloadError", err)
			}
			msg := err.Error()
			for _, part := range []string{tt.received, "accepted: an SQS event", "aws.events", "aws.scheduler", CustomDetailType, "aws.apprunner", `"action":"sweep"|"delete"|"offboard"`, `"regions"`} {
				if !strings.Contains(msg, part) {
					t.Errorf("error %q does not say %q", msg, part)
				}
			}
			if len(msg) > 1200 {
				t.Errorf("error is %d bytes long, want it short enough to read", len(msg))
			}
		})
	}
}

func TestDecodeDuplicateMessageIDsAreProcessedOnce(t *testing.T) {
	inv, err := Decode(readTestdata(t, "sqs-batch-mixed.json"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range inv.Requests {
		seen[r.ID]++
	}
	if seen[msgID(1)] != 1 {
		t.Errorf("message %s became %d requests, want 1", msgID(1), seen[msgID(1)])
	}
	want := []string{msgID(1), msgID(2), msgID(3), msgID(5), msgID(6), msgID(7), msgID(8), msgID(9)}
	if d := cmp.Diff(want, inv.messageIDs); d != "" {
		t.Errorf("message IDs (-want +got):\n%s", d)
	}
}

// TestRoundTrip checks that aws-lambda-go's event types hold every field
// of the samples, as aws-lambda-go's own event tests do.
func TestRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		var target any
		switch {
		case strings.HasPrefix(name, "sqs-"):
			target = &events.SQSEvent{}
		case strings.HasPrefix(name, "eventbridge-") && name != "eventbridge-custom-no-detail.json":
			target = &events.EventBridgeEvent{}
		default:
			continue
		}
		t.Run(name, func(t *testing.T) {
			in := readTestdata(t, name)
			if err := json.Unmarshal(in, target); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			out, err := json.Marshal(target)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			var want, got any
			if err := json.Unmarshal(in, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			// The struct also emits its zero-valued fields that the sample
			// omits (md5OfMessageAttributes); every sample field must survive.
			if d := cmp.Diff(want, subset(got, want)); d != "" {
				t.Errorf("round trip lost or changed fields (-sample +round trip):\n%s", d)
			}
		})
	}
}

// subset keeps of got only the object keys that shape has.
func subset(got, shape any) any {
	switch s := shape.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return got
		}
		out := make(map[string]any, len(s))
		for k, v := range s {
			if gv, ok := g[k]; ok {
				out[k] = subset(gv, v)
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(s) {
			return got
		}
		out := make([]any, len(g))
		for i := range g {
			out[i] = subset(g[i], s[i])
		}
		return out
	}
	return got
}

// TestSampleEventsDecode keeps the project's sample events usable.
func TestSampleEventsDecode(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no sample events found")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			inv, err := Decode(b, Options{})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(inv.Requests) == 0 {
				t.Error("the sample asks for no work")
			}
		})
	}
}

// checkOnePath asserts that every distinct SQS message took exactly one
// path: a request (valid or invalid) or a note.
func checkOnePath(t *testing.T, ev events.SQSEvent, inv Invocation) {
	t.Helper()
	reqs := map[string]int{}
	for _, r := range inv.Requests {
		reqs[r.ID]++
		if r.Invalid == "" && r.Action != cleanup.ActionSweep && r.Action != cleanup.ActionDelete && r.Action != cleanup.ActionOffboard {
			t.Errorf("request %s is valid but has action %q", r.ID, r.Action)
		}
		if r.Invalid != "" && !json.Valid(mustJSON(t, r.Raw)) {
			t.Errorf("request %s has a Raw that does not encode", r.ID)
		}
	}
	distinct := map[string]bool{}
	for _, id := range inv.messageIDs {
		if distinct[id] {
			t.Errorf("message %s listed twice", id)
		}
		distinct[id] = true
	}
	if len(distinct) != countDistinct(ev) {
		t.Errorf("%d distinct message IDs tracked, want %d", len(distinct), countDistinct(ev))
	}
	for id := range distinct {
		if reqs[id] > 1 {
			t.Errorf("message %s became %d requests", id, reqs[id])
		}
	}
	for id := range reqs {
		if !distinct[id] {
			t.Errorf("request %s belongs to no message", id)
		}
	}
	noted := len(distinct) - len(reqs)
	dups := len(ev.Records) - countDistinct(ev)
	if len(inv.Notes) != noted+dups {
		t.Errorf("%d notes, want %d (messages without requests) + %d (duplicates)", len(inv.Notes), noted, dups)
	}
}

func countDistinct(ev events.SQSEvent) int {
	ids := map[string]bool{}
	for i, m := range ev.Records {
		id := m.MessageId
		if id == "" {
			id = fmt.Sprintf("Records[%d]", i)
		}
		ids[id] = true
	}
	return len(ids)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzDecode(f *testing.F) {
	// Small seeds: the fuzzer minimises every new input it finds, which
	// takes long on large ones.
	for _, name := range []string{"sqs-single-arn.json", "eventbridge-scheduler-default.json", "direct-delete.json", "direct-offboard.json"} {
		f.Add(readTestdata(f, name), "")
	}
	for _, body := range []string{"", "  ", queue, `"` + queue + `"`, "garbage", `[1]`, `{"foo":1}`,
		`{"action":"delete","connectionArns":["` + broken + `"],"waitForServices":true,"dryRun":false}`,
		`{"action":"sweep","connectionArns":[]}`,
		`{"action":"offboard","accountId":"` + offboardAccount + `","roleArn":"` + offboardRole + `","regions":["eu-west-1"]}`,
		`{"action":"sweep","regions":["eu-west-1"]}`,
		`{"detail-type":"Connection Cleanup Requested","source":"apprunner.connection-cleanup","detail":"{\"action\":\"sweep\"}"}`,
		`{"detail-type":"AppRunner Service Operation Status Change","source":"aws.apprunner","resources":["` + svcRetired + `"],"detail":{"operationStatus":"DeleteServiceCompletedSuccessfully"}}`,
		`{"detail-type":"AppRunner Service Operation Status Change","source":"aws.apprunner","detail":{"operationStatus":"PauseServiceCompletedSuccessfully"}}`,
	} {
		f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"a"}]}`), body)
	}
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"a"}]}`), legacy)
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"a"},{"eventSource":"aws:sqs","messageId":"a"}]}`), `{"action":"sweep"}`)
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs"}]}`), `{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`)
	f.Add([]byte("null"), "\x00")
	f.Fuzz(func(t *testing.T, payload []byte, body string) {
		// The payload alone: any outcome, never a panic.
		if inv, err := Decode(payload, Options{}); err == nil && inv.Kind == KindSQS {
			var ev events.SQSEvent
			if err := json.Unmarshal(payload, &ev); err != nil {
				t.Fatalf("decoded as SQS but does not unmarshal: %v", err)
			}
			checkOnePath(t, ev, inv)
		}
		// The body inside a well-formed batch, twice under distinct IDs
		// and once more as a duplicate.
		ev := events.SQSEvent{Records: []events.SQSMessage{
			{MessageId: "m-1", Body: body, EventSource: "aws:sqs"},
			{MessageId: "m-2", Body: body, EventSource: "aws:sqs"},
			{MessageId: "m-1", Body: body, EventSource: "aws:sqs"},
		}}
		p, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		inv, err := Decode(p, Options{})
		if err != nil {
			t.Fatalf("an SQS batch was rejected: %v", err)
		}
		if inv.Kind != KindSQS {
			t.Fatalf("kind = %q, want sqs", inv.Kind)
		}
		checkOnePath(t, ev, inv)
		// Both copies decode alike: decoding depends on the body alone.
		if len(inv.Requests) == 2 {
			a, b := inv.Requests[0], inv.Requests[1]
			a.ID, b.ID = "", ""
			if d := cmp.Diff(a, b); d != "" {
				t.Errorf("the same body decoded differently (-m-1 +m-2):\n%s", d)
			}
		}
	})
}
