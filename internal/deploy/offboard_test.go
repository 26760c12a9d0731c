package deploy

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Who may ask for an offboarding: a narrower list than who may ask for
// sweeps and named deletes, through a queue of its own.

const (
	offboardPrincipalsParam     = "OffboardPrincipalArns"
	offboardPrincipalsCondition = "HasOffboardPrincipals"
	offboardQueueID             = "OffboardRequestQueue"
	offboardQueuePolicyID       = "OffboardRequestQueuePolicy"
	offboardEventSourceID       = "OffboardRequestQueueEventSource"
)

func TestOffboardPrincipalsParameterAcceptsOnlyExactRoleAndUserARNs(t *testing.T) {
	tmpl := loadTemplate(t)
	param := at(t, tmpl, "Parameters", offboardPrincipalsParam)
	if got := at(t, param, "Type"); got != "CommaDelimitedList" {
		t.Errorf("%s Type = %v, want CommaDelimitedList", offboardPrincipalsParam, got)
	}
	// Empty: no offboarding queue, so no one may request an offboarding by SQS.
	if got := at(t, param, "Default"); got != "" {
		t.Errorf("%s Default = %#v, want \"\"", offboardPrincipalsParam, got)
	}
	want := map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{
		map[string]any{"Fn::Join": []any{",", ref(offboardPrincipalsParam)}}, "",
	}}}}
	if diff := cmp.Diff(want, at(t, tmpl, "Conditions", offboardPrincipalsCondition)); diff != "" {
		t.Errorf("Conditions.%s (-want +got):\n%s", offboardPrincipalsCondition, diff)
	}
	// CloudFormation matches a CommaDelimitedList's members one by one.
	re := regexp.MustCompile(at(t, param, "AllowedPattern").(string))
	for value, ok := range map[string]bool{
		"": true,
		"arn:aws:iam::111122223333:role/offboarding-pipeline":        true,
		"arn:aws:iam::111122223333:role/service-role/offboard":       true,
		"arn:aws:iam::111122223333:user/alice":                       true,
		"arn:aws-us-gov:iam::111122223333:role/offboard":             true,
		"arn:aws:iam::111122223333:root":                             false,
		"*":                                                          false,
		"111122223333":                                               false,
		"arn:aws:iam::111122223333:role/*":                           false,
		"arn:aws:iam::*:role/offboard":                               false,
		"arn:aws:sts::111122223333:assumed-role/offboard/session":    false,
		"arn:aws:iam::111122223333:role/a\narn:aws:iam::1:root":      false,
		" arn:aws:iam::111122223333:role/offboarding-pipeline":       false,
		"arn:aws:iam::111122223333:group/admins":                     false,
		"arn:aws:iam::111122223333:role/offboarding-pipeline,second": false,
	} {
		if got := re.MatchString(value); got != ok {
			t.Errorf("%s AllowedPattern matches %q = %v, want %v", offboardPrincipalsParam, value, got, ok)
		}
	}
}

// TestOffboardQueueExistsOnlyWithOffboardPrincipals: every resource and
// output of the offboarding queue exists under the same condition.
func TestOffboardQueueExistsOnlyWithOffboardPrincipals(t *testing.T) {
	tmpl := loadTemplate(t)
	for id, typ := range map[string]string{
		offboardQueueID:       "AWS::SQS::Queue",
		offboardQueuePolicyID: "AWS::SQS::QueuePolicy",
		offboardEventSourceID: "AWS::Lambda::EventSourceMapping",
	} {
		requireType(t, tmpl, id, typ)
		if got := at(t, tmpl, "Resources", id).(map[string]any)["Condition"]; got != offboardPrincipalsCondition {
			t.Errorf("%s Condition = %v, want %s", id, got, offboardPrincipalsCondition)
		}
	}
	outputs := map[string]any{
		"OffboardQueueUrl": ref(offboardQueueID),
		"OffboardQueueArn": getAtt(offboardQueueID, "Arn"),
	}
	for name, want := range outputs {
		out := at(t, tmpl, "Outputs", name)
		if diff := cmp.Diff(want, at(t, out, "Value")); diff != "" {
			t.Errorf("Outputs.%s.Value (-want +got):\n%s", name, diff)
		}
		if got := out.(map[string]any)["Condition"]; got != offboardPrincipalsCondition {
			t.Errorf("Outputs.%s Condition = %v, want %s", name, got, offboardPrincipalsCondition)
		}
	}
	for _, params := range []map[string]string{nil, {offboardPrincipalsParam: ""}} {
		if newCFNEnv(t, tmpl, params).condition(offboardPrincipalsCondition) {
			t.Errorf("parameters %v: %s is true", params, offboardPrincipalsCondition)
		}
	}
	if !newCFNEnv(t, tmpl, map[string]string{offboardPrincipalsParam: "arn:aws:iam::111122223333:role/offboard"}).condition(offboardPrincipalsCondition) {
		t.Errorf("with %s set, %s is false", offboardPrincipalsParam, offboardPrincipalsCondition)
	}
}

// TestOffboardQueueIsSetUpAsTheCleanupQueue: same visibility timeout,
// retention, encryption, dead-letter queue and receive count.
func TestOffboardQueueIsSetUpAsTheCleanupQueue(t *testing.T) {
	tmpl := loadTemplate(t)
	cleanupQueue := getAttResource(t, at(t, function(t, tmpl), "Events", "Queue", "Properties", "Queue"), "Arn")
	want := at(t, tmpl, "Resources", cleanupQueue, "Properties")
	if diff := cmp.Diff(want, at(t, tmpl, "Resources", offboardQueueID, "Properties")); diff != "" {
		t.Errorf("%s Properties differ from %s's (-%s +%s):\n%s", offboardQueueID, cleanupQueue, cleanupQueue, offboardQueueID, diff)
	}
}

// TestOffboardQueueEventSourceIsTheQueueEvents: SAM cannot make an event
// conditional, so the mapping is written out with the Queue event's settings.
func TestOffboardQueueEventSourceIsTheQueueEvents(t *testing.T) {
	tmpl := loadTemplate(t)
	queueEvent := at(t, function(t, tmpl), "Events", "Queue", "Properties").(map[string]any)
	props := at(t, tmpl, "Resources", offboardEventSourceID, "Properties").(map[string]any)
	want := map[string]any{
		"FunctionName":   ref(functionID),
		"EventSourceArn": getAtt(offboardQueueID, "Arn"),
		"Enabled":        true,
	}
	for key, v := range queueEvent {
		if key != "Queue" {
			want[key] = v
		}
	}
	if diff := cmp.Diff(want, props); diff != "" {
		t.Errorf("%s Properties (-want +got; want is the Queue event's settings):\n%s", offboardEventSourceID, diff)
	}
	if types := stringList(t, at(t, props, "FunctionResponseTypes")); len(types) != 1 || types[0] != "ReportBatchItemFailures" {
		t.Errorf("%s FunctionResponseTypes = %v, want [ReportBatchItemFailures]", offboardEventSourceID, types)
	}
}

// TestOffboardQueuePolicyAdmitsOnlyTheOffboardPrincipals: not the
// requesters of sweeps, not this account's administrators, and not the
// function's own role, which sends nothing there.
func TestOffboardQueuePolicyAdmitsOnlyTheOffboardPrincipals(t *testing.T) {
	tmpl := loadTemplate(t)
	queue := getAtt(offboardQueueID, "Arn")
	stmts := queuePolicyStatements(t, tmpl, offboardQueueID)
	var got []statement
	for _, s := range stmts {
		if s.Sid == "DenyInsecureTransport" {
			continue // TestEveryQueueRefusesInsecureTransport
		}
		s.Sid = ""
		got = append(got, s)
	}
	want := []statement{
		{
			Effect:       "Deny",
			Principal:    "*",
			Actions:      []string{"sqs:SendMessage"},
			Resource:     queue,
			IAMCondition: map[string]any{"ArnNotEquals": map[string]any{"aws:PrincipalArn": ref(offboardPrincipalsParam)}},
		},
		{
			Effect:    "Allow",
			Principal: map[string]any{"AWS": ref(offboardPrincipalsParam)},
			Actions:   []string{"sqs:SendMessage"},
			Resource:  queue,
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s statements besides the TLS Deny (-want +got):\n%s", offboardQueuePolicyID, diff)
	}

	// Who may send, once the template is evaluated.
	const listed, requester = "arn:aws:iam::111122223333:role/offboard", "arn:aws:iam::111122223333:role/requester"
	env := newCFNEnv(t, tmpl, map[string]string{offboardPrincipalsParam: listed, requestPrincipalsParam: requester})
	deny := env.eval(want[0].IAMCondition)
	for principal, refused := range map[string]bool{
		listed:    false,
		requester: true,
		env.eval(getAtt(functionRoleID(t, tmpl), "Arn")).(string): true,
		"arn:aws:iam::123456789012:role/Admin":                    true,
	} {
		if got := conditionHolds(t, deny, map[string]string{"aws:PrincipalArn": principal}); got != refused {
			t.Errorf("%s sending to the offboarding queue: refused = %v, want %v", principal, got, refused)
		}
	}
}

func TestOffboardSettingsSetTheEnvironment(t *testing.T) {
	tmpl := loadTemplate(t)
	vars := at(t, function(t, tmpl), "Environment", "Variables")

	wantQueue := map[string]any{"Fn::If": []any{offboardPrincipalsCondition, getAtt(offboardQueueID, "Arn"), ""}}
	if diff := cmp.Diff(wantQueue, at(t, vars, "OFFBOARD_QUEUE_ARN")); diff != "" {
		t.Errorf("OFFBOARD_QUEUE_ARN (-want +got):\n%s", diff)
	}
	for params, want := range map[string]string{"": "", "arn:aws:iam::111122223333:role/offboard": offboardQueueID + ".Arn"} {
		if got := newCFNEnv(t, tmpl, map[string]string{offboardPrincipalsParam: params}).eval(at(t, vars, "OFFBOARD_QUEUE_ARN")); got != want {
			t.Errorf("%s %q: OFFBOARD_QUEUE_ARN = %q, want %q", offboardPrincipalsParam, params, got, want)
		}
	}

	if diff := cmp.Diff(ref("OffboardHomeAccount"), at(t, vars, "OFFBOARD_HOME_ACCOUNT")); diff != "" {
		t.Errorf("OFFBOARD_HOME_ACCOUNT (-want +got):\n%s", diff)
	}
	param := at(t, tmpl, "Parameters", "OffboardHomeAccount")
	// Offboarding the stack's own account is switched on explicitly.
	if got := at(t, param, "Default"); got != "false" {
		t.Errorf("OffboardHomeAccount Default = %#v, want \"false\"", got)
	}
	if diff := cmp.Diff([]any{"true", "false"}, at(t, param, "AllowedValues")); diff != "" {
		t.Errorf("OffboardHomeAccount AllowedValues (-want +got):\n%s", diff)
	}
}

// TestRequestPrincipalsDescriptionPromisesNoMoreThanItDoes: the list
// governs the bus and the queue; direct invocation is IAM's alone.
func TestRequestPrincipalsDescriptionPromisesNoMoreThanItDoes(t *testing.T) {
	tmpl := loadTemplate(t)
	d, _ := at(t, tmpl, "Parameters", requestPrincipalsParam, "Description").(string)
	for _, must := range []string{"lambda:InvokeFunction", "not governed", offboardPrincipalsParam} {
		if !strings.Contains(d, must) {
			t.Errorf("Parameters.%s.Description does not mention %q: %q", requestPrincipalsParam, must, d)
		}
	}
	if strings.Contains(d, "Everyone else is refused") {
		t.Errorf("Parameters.%s.Description says everyone else is refused, which direct invocation contradicts: %q", requestPrincipalsParam, d)
	}
}
