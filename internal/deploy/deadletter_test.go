package deploy

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The dead-letter queues are no side door: what sits in them is redriven
// as whoever redrives it, so no one may put anything there but what must.

// redriveSources returns, for each queue that is a dead-letter target, the
// queues that redrive to it, as the template writes their ARNs (a
// conditional queue's wrapped in !If [Condition, ARN, AWS::NoValue]).
func redriveSources(t *testing.T, tmpl map[string]any) map[string][]any {
	t.Helper()
	out := map[string][]any{}
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range resourcesOfType(t, tmpl, "AWS::SQS::Queue") {
			if !yield(id) {
				return
			}
		}
	})
	for _, id := range ids {
		q := at(t, tmpl, "Resources", id).(map[string]any)
		props, _ := q["Properties"].(map[string]any)
		redrive, ok := props["RedrivePolicy"]
		if !ok {
			continue
		}
		dlq := getAttResource(t, at(t, redrive, "deadLetterTargetArn"), "Arn")
		var arn any = getAtt(id, "Arn")
		if cond, ok := q["Condition"].(string); ok {
			arn = map[string]any{"Fn::If": []any{cond, arn, ref("AWS::NoValue")}}
		}
		out[dlq] = append(out[dlq], arn)
	}
	return out
}

func TestCleanupDeadLetterQueueRefusesEverySender(t *testing.T) {
	tmpl := loadTemplate(t)
	sources := redriveSources(t, tmpl)
	cleanupQueue := getAttResource(t, at(t, function(t, tmpl), "Events", "Queue", "Properties", "Queue"), "Arn")
	dlq := getAttResource(t, at(t, tmpl, "Resources", cleanupQueue, "Properties", "RedrivePolicy", "deadLetterTargetArn"), "Arn")
	// The offboarding queue shares it.
	if diff := cmp.Diff([]any{
		getAtt(cleanupQueue, "Arn"),
		map[string]any{"Fn::If": []any{offboardPrincipalsCondition, getAtt(offboardQueueID, "Arn"), ref("AWS::NoValue")}},
	}, sources[dlq]); diff != "" {
		t.Errorf("queues redriving to %s (-want +got):\n%s", dlq, diff)
	}

	var denies []statement
	for _, s := range queuePolicyStatements(t, tmpl, dlq) {
		switch {
		case s.Effect == "Allow":
			t.Errorf("%s: statement %q allows %v; nothing may send here", dlq, s.Sid, s.Actions)
		case slices.Contains(s.Actions, "sqs:SendMessage"):
			denies = append(denies, s)
		}
	}
	if len(denies) != 1 {
		t.Fatalf("%s: %d Deny statements of sqs:SendMessage, want 1", dlq, len(denies))
	}
	got := denies[0]
	got.Sid = ""
	want := statement{
		Effect:    "Deny",
		Principal: "*",
		Actions:   []string{"sqs:SendMessage"},
		Resource:  getAtt(dlq, "Arn"),
		// Only SQS itself, moving messages of its source queues, could
		// carry one of their ARNs as aws:SourceArn.
		IAMCondition: map[string]any{"ArnNotEquals": map[string]any{"aws:SourceArn": sources[dlq]}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s Deny (-want +got):\n%s", dlq, diff)
	}

	for _, params := range []map[string]string{nil, {offboardPrincipalsParam: "arn:aws:iam::111122223333:role/offboard"}} {
		env := newCFNEnv(t, tmpl, params)
		cond := env.eval(want.IAMCondition)
		funcRole := env.eval(getAtt(functionRoleID(t, tmpl), "Arn")).(string)
		for who, ctx := range map[string]map[string]string{
			"an administrator":       {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/Admin"},
			"the function's role":    {"aws:PrincipalArn": funcRole},
			"another queue's move":   {"aws:SourceArn": "arn:aws:sqs:us-east-1:123456789012:other"},
			"EventBridge for a rule": {"aws:SourceArn": "arn:aws:events:us-east-1:123456789012:rule/x"},
		} {
			if !conditionHolds(t, cond, ctx) {
				t.Errorf("parameters %v: %s may send to %s", params, who, dlq)
			}
		}
		if conditionHolds(t, cond, map[string]string{"aws:SourceArn": cleanupQueue + ".Arn"}) {
			t.Errorf("parameters %v: the Deny would refuse SQS moving messages of %s", params, cleanupQueue)
		}
	}
}

func TestEventDeadLetterQueueRefusesAllButWhatParksThere(t *testing.T) {
	tmpl := loadTemplate(t)
	dlq := getAttResource(t, at(t, function(t, tmpl), "EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination"), "Arn")
	funcRole := functionRoleID(t, tmpl)
	var scheduleRole string
	for _, props := range events(t, tmpl, "ScheduleV2") {
		scheduleRole = getAttResource(t, at(t, props, "RoleArn"), "Arn")
	}

	var allow, deny *statement
	for _, s := range queuePolicyStatements(t, tmpl, dlq) {
		if !slices.Contains(s.Actions, "sqs:SendMessage") {
			continue
		}
		switch s.Effect {
		case "Allow":
			allow = &s
		case "Deny":
			if deny != nil {
				t.Errorf("%s: more than one Deny of sqs:SendMessage", dlq)
			}
			deny = &s
		}
	}
	if allow == nil || deny == nil {
		t.Fatalf("%s: want one Allow (EventBridge for the rules) and one Deny of sqs:SendMessage", dlq)
	}
	// The rules the Allow admits (TestEventDeadLetterQueueAcceptsEventBridgeOnlyFromTheStacksRules).
	rules := at(t, allow.IAMCondition, "ArnEquals", "aws:SourceArn")
	got := *deny
	got.Sid = ""
	want := statement{
		Effect:    "Deny",
		Principal: "*",
		Actions:   []string{"sqs:SendMessage"},
		Resource:  getAtt(dlq, "Arn"),
		IAMCondition: map[string]any{"ArnNotEquals": map[string]any{
			// Lambda's on-failure destination and the scheduler's
			// dead-letter queue are written with these roles;
			"aws:PrincipalArn": []any{getAtt(funcRole, "Arn"), getAtt(scheduleRole, "Arn")},
			// EventBridge writes for the stack's rules.
			"aws:SourceArn": rules,
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s Deny (-want +got):\n%s", dlq, diff)
	}

	env := newCFNEnv(t, tmpl, map[string]string{"OffboardOuId": "ou-abcd-offboard1", "OrganizationId": "o-a1b2c3d4e5"})
	cond := env.eval(want.IAMCondition)
	for who, tt := range map[string]struct {
		ctx     map[string]string
		refused bool
	}{
		"the function's role":               {map[string]string{"aws:PrincipalArn": funcRole + ".Arn"}, false},
		"the scheduler's role":              {map[string]string{"aws:PrincipalArn": scheduleRole + ".Arn"}, false},
		"EventBridge, the MoveAccount rule": {map[string]string{"aws:SourceArn": "AccountMovedToOffboardOuRule.Arn"}, false},
		"EventBridge, another rule":         {map[string]string{"aws:SourceArn": "arn:aws:events:us-east-1:123456789012:rule/other"}, true},
		"an administrator":                  {map[string]string{"aws:PrincipalArn": "arn:aws:iam::123456789012:role/Admin"}, true},
	} {
		if got := conditionHolds(t, cond, tt.ctx); got != tt.refused {
			t.Errorf("%s sending to %s: refused = %v, want %v", who, dlq, got, tt.refused)
		}
	}
}

// TestEveryDeadLetterQueueHasAnAlarm: messages parked anywhere reach the
// operator, and the cleanup queue's alarm says which queues park there.
func TestEveryDeadLetterQueueHasAnAlarm(t *testing.T) {
	tmpl := loadTemplate(t)
	alarmed := map[string]string{}
	for id, a := range resourcesOfType(t, tmpl, "AWS::CloudWatch::Alarm") {
		props := at(t, a, "Properties").(map[string]any)
		dims, _ := props["Dimensions"].([]any)
		for _, d := range dims {
			if at(t, d, "Name") == "QueueName" && props["MetricName"] == "ApproximateNumberOfMessagesVisible" {
				alarmed[getAttResource(t, at(t, d, "Value"), "QueueName")] = id
			}
		}
	}
	for _, dlq := range deadLetterQueues(t, tmpl) {
		id, ok := alarmed[dlq]
		if !ok {
			t.Errorf("dead-letter queue %s has no alarm on ApproximateNumberOfMessagesVisible", dlq)
			continue
		}
		if len(redriveSources(t, tmpl)[dlq]) > 1 {
			d, _ := at(t, tmpl, "Resources", id, "Properties", "AlarmDescription").(string)
			if !strings.Contains(d, "offboarding queue") {
				t.Errorf("%s AlarmDescription does not say that the offboarding queue parks messages in %s too: %q", id, dlq, d)
			}
		}
	}
}
