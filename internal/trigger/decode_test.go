package trigger

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
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

	// notConnection is the reason a service ARN named as a connection is
	// rejected with.
	notConnection = "not an App Runner resource ARN: ARN of an App Runner service, not a connection, VPC connector, auto scaling or observability configuration"
)

func msgID(i int) string { return fmt.Sprintf("3b8e9f21-5c1d-4a7e-9b0f-%012d", i) }

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// input is one decoded input in the raw request's words: a request for the
// engine, ARNs as strings, or, with Rejected set, a rejection.
type input struct {
	ID              string
	Action          request.Action
	ARNs            []string
	DryRun          bool
	WaitForServices bool
	Service         string
	Role            string
	Regions         []string

	// Rejected is the rejection's reason; in an expectation, a part of it.
	Rejected string
	// Input is the excerpt the rejection quotes; an expectation leaving it
	// empty does not check it.
	Input string
}

// rejection expects a rejection of request id whose reason says reasonPart.
func rejection(id, reasonPart string) input { return input{ID: id, Rejected: reasonPart} }

func fromRequest(r request.Request) input {
	in := input{ID: r.ID, Action: r.Action, DryRun: r.DryRun, WaitForServices: r.WaitForServices, Regions: r.Regions}
	for _, a := range r.Connections {
		in.ARNs = append(in.ARNs, a.String())
	}
	if r.Service != nil {
		in.Service = r.Service.String()
	}
	if r.Role != (request.RoleARN{}) {
		in.Role = r.Role.String()
	}
	return in
}

func fromRejection(r request.Rejection) input {
	in := input{ID: r.RequestID, Rejected: r.Reason, Input: r.Input}
	if in.Rejected == "" {
		in.Rejected = "(a rejection without a reason)"
	}
	return in
}

// inputs lists what inv decoded in message order (the order of first
// appearance outside SQS), each message's request followed by its
// rejections.
func inputs(inv Invocation) []input {
	order := slices.Clone(inv.messageIDs)
	for _, r := range inv.Requests {
		if !slices.Contains(order, r.ID) {
			order = append(order, r.ID)
		}
	}
	for _, r := range inv.Rejections {
		if !slices.Contains(order, r.RequestID) {
			order = append(order, r.RequestID)
		}
	}
	var out []input
	for _, id := range order {
		for _, r := range inv.Requests {
			if r.ID == id {
				out = append(out, fromRequest(r))
			}
		}
		for _, r := range inv.Rejections {
			if r.RequestID == id {
				out = append(out, fromRejection(r))
			}
		}
	}
	return out
}

// withoutIDs clears the IDs of ins, for inputs that arrive in forms
// naming them differently.
func withoutIDs(ins []input) []input {
	out := slices.Clone(ins)
	for i := range out {
		out[i].ID = ""
	}
	return out
}

// diffInputs compares decoded inputs with the expected ones, matching an
// expected rejection's reason as a part of the actual one, and its input
// only when the expectation gives one.
func diffInputs(t *testing.T, got, want []input) {
	t.Helper()
	g := slices.Clone(got)
	for i := range g {
		if i >= len(want) {
			break
		}
		w := want[i]
		if g[i].Rejected != "" && w.Rejected != "" {
			if !strings.Contains(g[i].Rejected, w.Rejected) {
				t.Errorf("input %d (%s): rejected because %q, want a reason saying %q", i, g[i].ID, g[i].Rejected, w.Rejected)
			}
			g[i].Rejected = w.Rejected
		}
		if w.Input == "" {
			g[i].Input = ""
		}
	}
	if d := cmp.Diff(want, g, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("decoded inputs (-want +got):\n%s", d)
	}
}

// maxExcerpt bounds a rejection's Input: 80 runes, then "… (N bytes)".
const maxExcerpt = 80 + len("… (1234567890 bytes)")

// checkInvocation asserts what holds for every decoded invocation: a
// request the engine may run as it is, and a rejection that says why and
// quotes a short, valid excerpt of its input.
func checkInvocation(t *testing.T, inv Invocation) {
	t.Helper()
	perID := map[string]int{}
	for _, r := range inv.Requests {
		perID[r.ID]++
		if inv.Kind == KindSQS && !slices.Contains(inv.messageIDs, r.ID) {
			t.Errorf("request %q belongs to no message", r.ID)
		}
		switch r.Action {
		case request.ActionDelete:
			if len(r.Connections) == 0 {
				t.Errorf("request %s deletes no connection", r.ID)
			}
			for i, a := range r.Connections {
				if p, err := request.ParseConnectionARN(a.String()); err != nil || p != a {
					t.Errorf("request %s: connection %v is not a parsed connection ARN (%v)", r.ID, a, err)
				}
				if slices.Contains(r.Connections[:i], a) {
					t.Errorf("request %s names %s twice", r.ID, a)
				}
			}
		case request.ActionSweep:
			if len(r.Connections) > 0 {
				t.Errorf("sweep %s names connections %v", r.ID, r.Connections)
			}
			if r.Service != nil {
				if _, err := request.ParseServiceARN(r.Service.String()); err != nil {
					t.Errorf("sweep %s: service %v: %v", r.ID, r.Service, err)
				}
			}
		case request.ActionOffboard:
			switch {
			case r.Plan != nil:
				if len(r.Plan.OrganizationalUnitIDs)+len(r.Plan.AccountIDs) == 0 || r.Role != (request.RoleARN{}) || len(r.Connections) > 0 {
					t.Errorf("offboarding plan %s = %+v, want OUs or accounts, no role and no connections", r.ID, r)
				}
			case r.WorkItem != nil:
				if r.WorkItem.AccountID == "" || r.WorkItem.Region == "" || r.Role != (request.RoleARN{}) {
					t.Errorf("offboarding work item %s = %+v, want an account and a region, no role", r.ID, r)
				}
			case len(r.Regions) == 0 || r.Role == (request.RoleARN{}) || len(r.Connections) > 0:
				t.Errorf("offboarding %s = %+v, want a role, regions and no connections", r.ID, r)
			}
		default:
			t.Errorf("request %s has action %q", r.ID, r.Action)
		}
		if r.Action != request.ActionOffboard && (r.Role != (request.RoleARN{}) || r.Regions != nil) {
			t.Errorf("%s request %s carries offboarding fields: %+v", r.Action, r.ID, r)
		}
		if r.Action != request.ActionSweep && r.Service != nil {
			t.Errorf("%s request %s names a service", r.Action, r.ID)
		}
	}
	for id, n := range perID {
		if n > 1 {
			t.Errorf("request ID %q has %d requests, want one", id, n)
		}
	}
	for _, r := range inv.Rejections {
		if inv.Kind == KindSQS && !slices.Contains(inv.messageIDs, r.RequestID) {
			t.Errorf("rejection %q belongs to no message", r.RequestID)
		}
		if r.Reason == "" {
			t.Errorf("rejection of %s says no reason", r.RequestID)
		}
		if !utf8.ValidString(r.Input) || utf8.RuneCountInString(r.Input) > maxExcerpt {
			t.Errorf("rejection of %s quotes %q, want a short excerpt in valid UTF-8", r.RequestID, r.Input)
		}
	}
}

func TestDecodeTestdata(t *testing.T) {
	tests := []struct {
		file      string
		kind      Kind
		inputs    []input
		notes     int
		errorPart string // when set, Decode must fail with a *PayloadError saying this
	}{
		{file: "direct-delete.json", kind: KindDirect, inputs: []input{
			{Action: request.ActionDelete, ARNs: []string{legacy, storefront}, DryRun: true}}},
		{file: "direct-sweep.json", kind: KindDirect, inputs: []input{{Action: request.ActionSweep}}},
		{file: "direct-sweep-wait.json", kind: KindDirect, inputs: []input{
			{Action: request.ActionSweep, WaitForServices: true}}},
		{file: "direct-offboard.json", kind: KindDirect, inputs: []input{
			{Action: request.ActionOffboard, Role: offboardRole, Regions: []string{"eu-west-1"}, WaitForServices: true}}},
		{file: "direct-unknown-field.json", errorPart: `unknown field "dry_run"; accepted fields are action, connectionArns, dryRun, waitForServices, afterUnusedFor, accountId, roleArn, regions`},
		{file: "direct-delete-no-arns.json", errorPart: `action "delete" needs at least one ARN`},
		{file: "direct-sweep-with-arns.json", errorPart: `action "sweep" takes no "connectionArns"`},
		{file: "direct-unknown-action.json", errorPart: `unknown action "purge": use "sweep", "delete" or "offboard"`},
		{file: "direct-wrong-type.json", errorPart: `field "dryRun" must be a boolean (true or false), got a JSON string`},

		{file: "eventbridge-scheduled.json", kind: KindSchedule, inputs: []input{
			{ID: "5e1f6a2c-9d3b-4c8e-a7f0-1b2c3d4e5f60", Action: request.ActionSweep}}},
		{file: "eventbridge-scheduler-default.json", kind: KindScheduler, inputs: []input{
			{ID: "0c8d4b1e-7a6f-4e2d-9c3b-5a4f3e2d1c0b", Action: request.ActionSweep}}},
		{file: "eventbridge-custom.json", kind: KindCustom, inputs: []input{
			{ID: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", Action: request.ActionDelete, ARNs: []string{teardown, storefront}}}},
		{file: "eventbridge-custom-dry-run.json", kind: KindCustom, inputs: []input{
			{ID: "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e", Action: request.ActionDelete, ARNs: []string{legacy}, DryRun: true}}},
		// The request bus admits those who may ask for sweeps, not
		// offboarding.
		{file: "eventbridge-custom-offboard.json", errorPart: "offboarding deletes connections whatever their age, so it is requested only"},
		{file: "eventbridge-custom-string-detail.json", kind: KindCustom, inputs: []input{
			{ID: "c3d4e5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f", Action: request.ActionSweep}}},
		{file: "eventbridge-custom-wrong-source.json", errorPart: `source "com.example.deploy"`},
		{file: "eventbridge-custom-bad-detail.json", errorPart: `unknown field "connectionArn"`},
		{file: "eventbridge-custom-no-detail.json", errorPart: "it has no detail"},
		{file: "eventbridge-apprunner-delete-completed.json", kind: KindAppRunner, inputs: []input{
			{ID: "6a7e8feb-b491-4cf7-a9f1-bf3703467718", Action: request.ActionSweep, Service: svcRetired}}},
		{file: "eventbridge-apprunner-deploy-completed.json", kind: KindAppRunner, notes: 1},
		{file: "eventbridge-apprunner-delete-no-resources.json", errorPart: "must name the service in resources[0]"},
		{file: "eventbridge-apprunner-status-change.json", errorPart: `detail-type "AppRunner Service Status Change"`},
		{file: "eventbridge-s3-object-created.json", errorPart: `source "aws.s3"`},

		{file: "sqs-single-arn.json", kind: KindSQS, inputs: []input{
			{ID: msgID(1), Action: request.ActionDelete, ARNs: []string{queue}}}},
		{file: "sqs-batch-mixed.json", kind: KindSQS, notes: 1, inputs: []input{
			{ID: msgID(1), Action: request.ActionDelete, ARNs: []string{queue}},
			{ID: msgID(2), Action: request.ActionDelete, ARNs: []string{broken}},
			{ID: msgID(3), Action: request.ActionDelete, ARNs: []string{pending}},
			// A service ARN is no connection ARN: the decoder rejects it.
			{ID: msgID(5), Rejected: notConnection, Input: request.Excerpt(svcStore, request.InputExcerpt)},
			// Another account's connection ARN is a connection ARN: the
			// engine refuses it, with the reason it knows best.
			{ID: msgID(6), Action: request.ActionDelete, ARNs: []string{otherAcct}},
			rejection(msgID(7), "non-JSON text of 2048 bytes"),
			rejection(msgID(8), "the body is empty; send a bare connection ARN"),
			{ID: msgID(9), Action: request.ActionDelete, ARNs: []string{billing}, WaitForServices: true},
		}},
		{file: "sqs-bad-bodies.json", kind: KindSQS, inputs: []input{
			rejection(msgID(1), "the body is only whitespace"),
			rejection(msgID(2), `non-JSON text of 10 bytes "not an arn"`),
			rejection(msgID(3), "a JSON array"),
			rejection(msgID(4), `unknown action "purge"`),
			rejection(msgID(5), `field "connectionArns" must be an array of strings, got a JSON string`),
			rejection(msgID(6), `field "dryRun" must be a boolean`),
			rejection(msgID(7), `a JSON object with fields ["connection"], neither a request nor an EventBridge event`),
			rejection(msgID(8), "malformed JSON"),
			rejection(msgID(9), `action "sweep" takes no "connectionArns"`),
			rejection(msgID(10), `action "delete" needs at least one ARN`),
			rejection(msgID(11), "a JSON number"),
			rejection(msgID(12), "not one ARN"),
			rejection(msgID(13), `accepted only from source "apprunner.connection-cleanup"`),
		}},
		// A custom event in a body is a request; App Runner's own events
		// come only by invocation, never in a body.
		{file: "sqs-eventbridge-envelope.json", kind: KindSQS, inputs: []input{
			{ID: msgID(1), Action: request.ActionDelete, ARNs: []string{pending}},
			rejection(msgID(2), `(source "aws.apprunner", detail-type "AppRunner Service Operation Status Change", id "6a7e8feb-b491-4cf7-a9f1-bf3703467718"): it is an AWS service event`),
			rejection(msgID(3), "it is an AWS service event: AWS delivers those by invoking the function, never through the queue"),
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
			checkInvocation(t, inv)
			diffInputs(t, inputs(inv), tt.inputs)
			if len(inv.Notes) != tt.notes {
				t.Errorf("notes = %q, want %d of them", inv.Notes, tt.notes)
			}
		})
	}
}

func TestDecodeSQSBodies(t *testing.T) {
	huge := strings.Repeat("a", MaxBodyBytes+1)
	garbage := strings.Repeat("x7!", 700)[:2048]
	const badName = arnPrefix + "x/7c3bb97d87a2b0d482acd89eaad25d3b"
	deleteOf := func(arns ...string) string {
		return string(mustJSON(t, map[string]any{"action": "delete", "connectionArns": arns}))
	}
	tests := []struct {
		name string
		body string
		want []input // IDs are m-1
	}{
		{"bare ARN with surrounding whitespace", "  " + legacy + "\n", []input{{Action: request.ActionDelete, ARNs: []string{legacy}}}},
		{"ARN as a JSON string", `"` + legacy + `"`, []input{{Action: request.ActionDelete, ARNs: []string{legacy}}}},
		{"ARN as a JSON string with whitespace", `" ` + legacy + `\n"`, []input{{Action: request.ActionDelete, ARNs: []string{legacy}}}},
		{"ARNs in a request are trimmed", deleteOf(" " + legacy + " "), []input{{Action: request.ActionDelete, ARNs: []string{legacy}}}},
		{"an ARN named twice is named once", deleteOf(legacy, queue, " "+legacy), []input{{Action: request.ActionDelete, ARNs: []string{legacy, queue}}}},
		{"another account's connection is left to the engine", otherAcct, []input{{Action: request.ActionDelete, ARNs: []string{otherAcct}}}},
		{"a service ARN", svcStore, []input{{Rejected: notConnection, Input: request.Excerpt(svcStore, request.InputExcerpt)}}},
		{"a service ARN as a JSON string", `"` + svcStore + `"`, []input{{Rejected: notConnection, Input: request.Excerpt(svcStore, request.InputExcerpt)}}},
		// One ARN that is not a connection's is rejected alone: the others
		// of the request go on.
		{"bad ARNs among good ones", deleteOf(legacy, svcStore, queue, badName), []input{
			{Action: request.ActionDelete, ARNs: []string{legacy, queue}},
			{Rejected: notConnection, Input: request.Excerpt(svcStore, request.InputExcerpt)},
			{Rejected: `not an App Runner resource ARN: invalid connection name "x"`, Input: request.Excerpt(badName, request.InputExcerpt)},
		}},
		{"every ARN bad", deleteOf(svcStore, " not-an-arn "), []input{
			{Rejected: notConnection, Input: request.Excerpt(svcStore, request.InputExcerpt)},
			{Rejected: "not an App Runner resource ARN: not an ARN: want arn:aws:apprunner:REGION:ACCOUNT:connection/NAME/ID", Input: "not-an-arn"},
		}},
		{"oversized body", huge, []input{{Rejected: "more than the 262144 bytes accepted", Input: strings.Repeat("a", 80) + "… (262145 bytes)"}}},
		{"2 KB garbage", garbage, []input{{Rejected: "non-JSON text of 2048 bytes", Input: garbage[:80] + "… (2048 bytes)"}}},
		// Encoding the batch as JSON already replaces each invalid byte.
		{"invalid UTF-8", "\xff\xfe\xfd", []input{{Rejected: "non-JSON text of", Input: "\uFFFD\uFFFD\uFFFD"}}},
		{"ARN too long", "arn:" + strings.Repeat("a", request.MaxARNLength), []input{{Rejected: "not one ARN"}}},
		{"trailing data after request", `{"action":"sweep"} {"action":"sweep"}`, []input{{Rejected: "malformed JSON"}}},
		{"missing action", `{"connectionArns":["` + legacy + `"]}`, []input{{Rejected: `neither a request nor an EventBridge event`}}},
		{"null action", `{"connectionArns":["` + legacy + `"],"action":null}`, []input{{Rejected: `field "action" is null`}}},
		{"JSON true", "true", []input{{Rejected: "a JSON boolean true", Input: "true"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-1", Body: tt.body, EventSource: "aws:sqs"}}}
			inv, err := Decode(mustJSON(t, ev), Options{})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			checkInvocation(t, inv)
			want := slices.Clone(tt.want)
			for i := range want {
				want[i].ID = "m-1"
			}
			diffInputs(t, inputs(inv), want)
		})
	}
}

// TestDecodeDeleteWithEveryARNRejectedRunsNothing: a delete whose every
// ARN is rejected is no request, only rejections, in every form; the
// request itself broke no rule, so it is no error either.
func TestDecodeDeleteWithEveryARNRejectedRunsNothing(t *testing.T) {
	body := `{"action":"delete","connectionArns":["` + svcStore + `","` + svcStore + `"]}`
	for _, form := range requestForms() {
		t.Run(form.name, func(t *testing.T) {
			got, refused := form.decode(t, body)
			if refused != "" {
				t.Fatalf("refused whole: %s", refused)
			}
			// Each ARN named is reported, a repeated one once, as a
			// connection named twice is decided once.
			diffInputs(t, got, []input{
				{Rejected: notConnection, Input: request.Excerpt(svcStore, request.InputExcerpt)},
			})
		})
	}
}

// TestDecodeConnectionARNLimit: one request names at most
// cleanup.MaxConnectionARNs connections, in every form.
func TestDecodeConnectionARNLimit(t *testing.T) {
	arns := make([]string, request.MaxConnectionARNs+1)
	for i := range arns {
		arns[i] = fmt.Sprintf("%sbulk-%d/%032x", arnPrefix, i, i)
	}
	deleting := func(arns []string) string {
		return string(mustJSON(t, map[string]any{"action": "delete", "connectionArns": arns}))
	}
	over := fmt.Sprintf(`"connectionArns" names %d ARNs, more than the %d one request may name: split the request`,
		request.MaxConnectionARNs+1, request.MaxConnectionARNs)
	for _, form := range requestForms() {
		t.Run(form.name+"/one over the limit", func(t *testing.T) {
			got, refused := form.decode(t, deleting(arns))
			if !strings.Contains(refused, over) {
				t.Errorf("decoded as %d inputs, refused with %q; want it refused saying %q", len(got), refused, over)
			}
		})
		t.Run(form.name+"/at the limit", func(t *testing.T) {
			atLimit := arns[:request.MaxConnectionARNs]
			got, refused := form.decode(t, deleting(atLimit))
			if refused != "" {
				t.Fatalf("refused: %s", refused)
			}
			diffInputs(t, got, []input{{Action: request.ActionDelete, ARNs: atLimit}})
		})
	}
}

// TestDecodeAppRunnerDeletionNamesAServiceARN: the sweep a completed
// deletion starts is narrowed to the service's connection, so a resource
// that is not a service ARN must not widen it into a sweep of everything.
func TestDecodeAppRunnerDeletionNamesAServiceARN(t *testing.T) {
	event := func(resource string) string {
		return string(mustJSON(t, map[string]any{
			"id": "ev-1", "source": "aws.apprunner", "detail-type": appRunnerDetailType,
			"resources": []string{resource}, "detail": map[string]string{"operationStatus": deleteCompleted},
		}))
	}
	const want = "not an App Runner service ARN: ARN of an App Runner connection, not a service"
	_, err := Decode([]byte(event(legacy)), Options{})
	var pe *PayloadError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), want) {
		t.Errorf("as the payload: Decode error = %v, want a *PayloadError saying %q", err, want)
	}
	// In a message body, no App Runner event is believed.
	if got, refused := fromSQSBody(t, event(svcRetired)); !strings.Contains(refused, "it is an AWS service event") {
		t.Errorf("as an SQS body: decoded as %+v, refused with %q; want it refused as an AWS service event", got, refused)
	}
	inv, err := Decode([]byte(event(" "+svcRetired+" ")), Options{})
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	diffInputs(t, inputs(inv), []input{{ID: "ev-1", Action: request.ActionSweep, Service: svcRetired}})
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
	for _, in := range inputs(inv) {
		seen[in.ID]++
	}
	if seen[msgID(1)] != 1 {
		t.Errorf("message %s became %d inputs, want 1", msgID(1), seen[msgID(1)])
	}
	want := []string{msgID(1), msgID(2), msgID(3), msgID(5), msgID(6), msgID(7), msgID(8), msgID(9)}
	if d := cmp.Diff(want, inv.messageIDs); d != "" {
		t.Errorf("message IDs (-want +got):\n%s", d)
	}
}

// refusedSamples are the samples meant to be refused, and why: they have
// no type to round trip through.
var refusedSamples = map[string]string{
	"direct-unknown-field.json":         "a misspelt field (dry_run)",
	"direct-wrong-type.json":            "dryRun as a string",
	"not-json.txt":                      "not JSON",
	"null.json":                         "null",
	"number.json":                       "a number",
	"sns-event.json":                    "an SNS event, no trigger of this function",
	"eventbridge-custom-no-detail.json": "a custom event without detail",
}

// TestRoundTrip checks that every sample, the project's own in events/
// among them, survives the types it is read into: aws-lambda-go's event
// types (as aws-lambda-go's own event tests do) and the function's own
// JSON request, in a direct invocation, a custom event's detail or an SQS
// body. Every sample must be claimed, by a type or as one meant to be
// refused, so that a new sample cannot go untested.
func TestRoundTrip(t *testing.T) {
	own, err := filepath.Glob("testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	files := append(own, shipped...)
	if len(own) < 30 || len(shipped) < 8 {
		t.Fatalf("%d samples in testdata and %d in events/: the globs found too few", len(own), len(shipped))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if why, ok := refusedSamples[name]; ok {
				if _, err := Decode(in, Options{}); err == nil {
					t.Fatalf("decoded, but kept as a sample to refuse (%s)", why)
				}
				return
			}
			var envelope struct {
				Records    []json.RawMessage `json:"Records"`
				DetailType *string           `json:"detail-type"`
				Source     string            `json:"source"`
				Detail     json.RawMessage   `json:"detail"`
			}
			if err := json.Unmarshal(in, &envelope); err != nil {
				t.Fatalf("not a JSON object (list it in refusedSamples if it is meant to be refused): %v", err)
			}
			switch {
			case envelope.Records != nil:
				var ev events.SQSEvent
				roundTrip(t, "SQSEvent", in, &ev)
				for _, r := range ev.Records {
					if isWireRequest(r.Body) {
						roundTrip(t, "the body of "+r.MessageId, []byte(r.Body), &wireRequest{})
					}
				}
			case envelope.DetailType != nil:
				roundTrip(t, "EventBridgeEvent", in, &events.EventBridgeEvent{})
				if envelope.Source == DefaultCustomEventSource && isWireRequest(string(envelope.Detail)) {
					roundTrip(t, "the detail", envelope.Detail, &wireRequest{})
				}
			default:
				if !isWireRequest(string(in)) {
					t.Fatal("neither an event nor a request the function reads: list it in refusedSamples if it is meant to be refused")
				}
				roundTrip(t, "a direct request", in, &wireRequest{})
			}
		})
	}
}

// isWireRequest tells a JSON request, decoded as strictly as the function
// decodes one.
func isWireRequest(s string) bool {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	var w wireRequest
	return strings.HasPrefix(strings.TrimSpace(s), "{") && dec.Decode(&w) == nil
}

// roundTrip decodes in into target and encodes it again: every field of in
// must survive. The struct also emits zero-valued fields that the sample
// omits (md5OfMessageAttributes, a request's null fields).
func roundTrip(t *testing.T, what string, in []byte, target any) {
	t.Helper()
	if err := json.Unmarshal(in, target); err != nil {
		t.Fatalf("%s: unmarshal: %v", what, err)
	}
	out, err := json.Marshal(target)
	if err != nil {
		t.Fatalf("%s: marshal: %v", what, err)
	}
	var want, got any
	if err := json.Unmarshal(in, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, subset(got, want)); d != "" {
		t.Errorf("%s: round trip lost or changed fields (-sample +round trip):\n%s", what, d)
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
			// As the demo configures the function: 08 moves an account
			// into its offboarding OU.
			inv, err := Decode(b, Options{OffboardOUID: "ou-demo-offboard1"})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			checkInvocation(t, inv)
			if len(inv.Requests) == 0 {
				t.Error("the sample asks for no work")
			}
		})
	}
}

// checkOnePath asserts that every distinct SQS message took exactly one
// path: a request (with the rejections of the ARNs it named that are not
// connection ARNs), rejections alone, or a note.
func checkOnePath(t *testing.T, ev events.SQSEvent, inv Invocation) {
	t.Helper()
	checkInvocation(t, inv)
	decoded := map[string]int{}
	for _, in := range inputs(inv) {
		decoded[in.ID]++
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
	for id := range decoded {
		if !distinct[id] {
			t.Errorf("input %s belongs to no message", id)
		}
	}
	noted := 0
	for id := range distinct {
		if decoded[id] == 0 {
			noted++
		}
	}
	dups := len(ev.Records) - countDistinct(ev)
	if len(inv.Notes) != noted+dups {
		t.Errorf("%d notes, want %d (messages without requests or rejections) + %d (duplicates)", len(inv.Notes), noted, dups)
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

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// inputsOf lists the inputs of message id, IDs left out.
func inputsOf(ins []input, id string) []input {
	var out []input
	for _, in := range ins {
		if in.ID == id {
			in.ID = ""
			out = append(out, in)
		}
	}
	return out
}

func FuzzDecode(f *testing.F) {
	// Small seeds: the fuzzer minimises every new input it finds, which
	// takes long on large ones.
	for _, name := range []string{"sqs-single-arn.json", "eventbridge-scheduler-default.json", "direct-delete.json", "direct-offboard.json"} {
		f.Add(readTestdata(f, name), "")
	}
	for _, body := range []string{"", "  ", queue, `"` + queue + `"`, "garbage", `[1]`, `{"foo":1}`, svcStore,
		`{"action":"delete","connectionArns":["` + broken + `"],"waitForServices":true,"dryRun":false}`,
		`{"action":"delete","connectionArns":["` + broken + `","` + svcStore + `","` + broken + `"]}`,
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
		if inv, err := Decode(payload, Options{}); err == nil {
			checkInvocation(t, inv)
			if inv.Kind == KindSQS {
				var ev events.SQSEvent
				if err := json.Unmarshal(payload, &ev); err != nil {
					t.Fatalf("decoded as SQS but does not unmarshal: %v", err)
				}
				checkOnePath(t, ev, inv)
			}
		}
		// The body inside a well-formed batch, twice under distinct IDs
		// and once more as a duplicate.
		ev := events.SQSEvent{Records: []events.SQSMessage{
			{MessageId: "m-1", Body: body, EventSource: "aws:sqs"},
			{MessageId: "m-2", Body: body, EventSource: "aws:sqs"},
			{MessageId: "m-1", Body: body, EventSource: "aws:sqs"},
		}}
		inv, err := Decode(mustJSON(t, ev), Options{})
		if err != nil {
			t.Fatalf("an SQS batch was rejected: %v", err)
		}
		if inv.Kind != KindSQS {
			t.Fatalf("kind = %q, want sqs", inv.Kind)
		}
		checkOnePath(t, ev, inv)
		// Both copies decode alike: decoding depends on the body alone.
		ins := inputs(inv)
		if d := cmp.Diff(inputsOf(ins, "m-1"), inputsOf(ins, "m-2")); d != "" {
			t.Errorf("the same body decoded differently (-m-1 +m-2):\n%s", d)
		}
	})
}

// TestDecodeResourceTypes: a sweep's "resourceTypes" reaches the request,
// in every form a request comes in; an unknown kind refuses it whole.
func TestDecodeResourceTypes(t *testing.T) {
	for _, form := range requestForms() {
		t.Run(form.name, func(t *testing.T) {
			if _, refused := form.decode(t, `{"action":"sweep","resourceTypes":["vpc-connector","all"]}`); refused != "" {
				t.Errorf("refused: %s", refused)
			}
			_, refused := form.decode(t, `{"action":"sweep","resourceTypes":["buckets"]}`)
			if !strings.Contains(refused, `field "resourceTypes": unknown resource type "buckets"`) {
				t.Errorf("refused with %q, want the unknown resource type named", refused)
			}
		})
	}
	inv, err := Decode([]byte(`{"action":"sweep","resourceTypes":["observability-configuration","connection"]}`), Options{})
	if err != nil || len(inv.Requests) != 1 {
		t.Fatalf("Decode: %+v, %v", inv, err)
	}
	if got, want := inv.Requests[0].Kinds, []request.Kind{request.KindConnection, request.KindObservability}; !slices.Equal(got, want) {
		t.Errorf("kinds %v, want %v", got, want)
	}
}
