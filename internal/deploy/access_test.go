package deploy

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Who may ask the function to delete, and with what it does so.

const (
	requestPrincipalsParam     = "RequestPrincipalArns"
	requestPrincipalsCondition = "HasRequestPrincipals"
)

func ref(name string) map[string]any { return map[string]any{"Ref": name} }

func getAtt(resource, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{resource, attr}}
}

// refName returns X for {"Ref": X}.
func refName(t *testing.T, v any) string {
	t.Helper()
	name, ok := at(t, v, "Ref").(string)
	if !ok {
		t.Fatalf("%v is not a !Ref", v)
	}
	return name
}

// resourcesOfType returns the template's resources of one type by logical ID.
func resourcesOfType(t *testing.T, tmpl map[string]any, typ string) map[string]map[string]any {
	t.Helper()
	all, ok := at(t, tmpl, "Resources").(map[string]any)
	if !ok {
		t.Fatalf("%s: Resources is not a mapping", templatePath)
	}
	out := make(map[string]map[string]any)
	for id, r := range all {
		m, ok := r.(map[string]any)
		if ok && m["Type"] == typ {
			out[id] = m
		}
	}
	return out
}

// requireType fails the test unless the template defines id with the given type.
func requireType(t *testing.T, tmpl map[string]any, id, typ string) {
	t.Helper()
	if got := at(t, tmpl, "Resources", id, "Type"); got != typ {
		t.Fatalf("%s: %s has Type %v, want %s", templatePath, id, got, typ)
	}
}

// grant is what an Allow statement gives for one action.
type grant struct {
	Resource  any
	Condition string // template condition; empty means always
}

// grants maps each action that keep accepts to what the Allow statements grant for it.
func grants(stmts []statement, keep func(action string) bool) map[string][]grant {
	out := make(map[string][]grant)
	for _, s := range stmts {
		if s.Effect != "Allow" {
			continue
		}
		for _, a := range s.Actions {
			if keep(a) {
				out[a] = append(out[a], grant{Resource: s.Resource, Condition: s.Condition})
			}
		}
	}
	return out
}

func withPrefix(prefixes ...string) func(string) bool {
	return func(a string) bool {
		if a == "*" {
			return true
		}
		for _, p := range prefixes {
			if strings.HasPrefix(a, p) {
				return true
			}
		}
		return false
	}
}

// servicePrincipals returns the AWS service principals a statement names.
func servicePrincipals(t *testing.T, principal any) []string {
	t.Helper()
	m, ok := principal.(map[string]any)
	if !ok {
		return nil
	}
	svc, ok := m["Service"]
	if !ok {
		return nil
	}
	return stringList(t, svc)
}

// conditionKeys returns the condition keys a statement's Condition element tests.
func conditionKeys(cond any) []string {
	m, ok := cond.(map[string]any)
	if !ok {
		return nil
	}
	var keys []string
	for _, block := range m {
		if b, ok := block.(map[string]any); ok {
			for k := range b {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// onlyRequesters is the condition under which the request bus and queue
// policies refuse a caller: not one of the listed principals or, when none
// is listed, not of this account.
var onlyRequesters = map[string]any{"Fn::If": []any{
	requestPrincipalsCondition,
	map[string]any{"ArnNotEquals": map[string]any{"aws:PrincipalArn": ref(requestPrincipalsParam)}},
	map[string]any{"StringNotEquals": map[string]any{"aws:PrincipalAccount": ref("AWS::AccountId")}},
}}

// onlyRequestersAndFunction is the condition under which the cleanup
// queue's policy refuses a sender: as onlyRequesters, but the listed
// principals are joined by the function's own role, which sends the work
// items of plans (with none listed, it is of this account already).
func onlyRequestersAndFunction(t *testing.T, tmpl map[string]any) any {
	t.Helper()
	listed := map[string]any{"Fn::Split": []any{",", map[string]any{"Fn::Join": []any{",", []any{
		map[string]any{"Fn::Join": []any{",", ref(requestPrincipalsParam)}},
		getAtt(functionRoleID(t, tmpl), "Arn"),
	}}}}}
	return map[string]any{"Fn::If": []any{
		requestPrincipalsCondition,
		map[string]any{"ArnNotEquals": map[string]any{"aws:PrincipalArn": listed}},
		map[string]any{"StringNotEquals": map[string]any{"aws:PrincipalAccount": ref("AWS::AccountId")}},
	}}
}

// checkRequesterPolicy checks a resource policy through which requests
// reach the function: one Deny of action to everyone but the requesters
// (denyUnless is its Condition), and Allow statements only for the listed
// principals, only for action.
func checkRequesterPolicy(t *testing.T, who string, stmts []statement, action string, resource, denyUnless any) {
	t.Helper()
	var denies int
	for _, s := range stmts {
		switch s.Effect {
		case "Deny":
			if !slices.Contains(s.Actions, action) {
				continue
			}
			denies++
			if s.Principal != "*" {
				t.Errorf("%s: the Deny of %s has Principal %v, want \"*\"", who, action, s.Principal)
			}
			if diff := cmp.Diff([]string{action}, s.Actions); diff != "" {
				t.Errorf("%s: actions of the Deny of %s (-want +got):\n%s", who, action, diff)
			}
			if diff := cmp.Diff(resource, s.Resource); diff != "" {
				t.Errorf("%s: Resource of the Deny of %s (-want +got):\n%s", who, action, diff)
			}
			if diff := cmp.Diff(denyUnless, s.IAMCondition); diff != "" {
				t.Errorf("%s: Condition of the Deny of %s (-want +got):\n%s", who, action, diff)
			}
			if s.Condition != "" {
				t.Errorf("%s: the Deny of %s exists only under %s; it must always hold", who, action, s.Condition)
			}
		case "Allow":
			// Only the listed principals, and only when some are listed:
			// without a list, IAM in this account decides.
			if s.Condition != requestPrincipalsCondition {
				t.Errorf("%s: Allow statement %q exists under condition %q, want %s", who, s.Sid, s.Condition, requestPrincipalsCondition)
			}
			if diff := cmp.Diff(map[string]any{"AWS": ref(requestPrincipalsParam)}, s.Principal); diff != "" {
				t.Errorf("%s: Principal of Allow statement %q (-want +got):\n%s", who, s.Sid, diff)
			}
			if diff := cmp.Diff([]string{action}, s.Actions); diff != "" {
				t.Errorf("%s: actions of Allow statement %q (-want +got):\n%s", who, s.Sid, diff)
			}
			if diff := cmp.Diff(resource, s.Resource); diff != "" {
				t.Errorf("%s: Resource of Allow statement %q (-want +got):\n%s", who, s.Sid, diff)
			}
		default:
			t.Errorf("%s: statement %q has Effect %q", who, s.Sid, s.Effect)
		}
	}
	if denies != 1 {
		t.Errorf("%s: %d Deny statements name %s, want 1 refusing everyone but the requesters", who, denies, action)
	}
}

// queuePolicyStatements returns the statements of every queue policy that covers queueID.
func queuePolicyStatements(t *testing.T, tmpl map[string]any, queueID string) []statement {
	t.Helper()
	var out []statement
	for _, qp := range resourcesOfType(t, tmpl, "AWS::SQS::QueuePolicy") {
		queues, _ := at(t, qp, "Properties", "Queues").([]any)
		if slices.ContainsFunc(queues, func(q any) bool { return cmp.Equal(q, ref(queueID)) }) {
			out = append(out, documentStatements(t, at(t, qp, "Properties", "PolicyDocument"))...)
		}
	}
	return out
}

// requestBusID returns the bus of the custom-request rule.
func requestBusID(t *testing.T, tmpl map[string]any) string {
	t.Helper()
	custom, ok := events(t, tmpl, "EventBridgeRule")["CleanupRequested"]
	if !ok {
		t.Fatalf("%s: no EventBridgeRule event CleanupRequested on %s", templatePath, functionID)
	}
	bus, ok := custom["EventBusName"]
	if !ok {
		t.Fatalf("%s: event CleanupRequested has no EventBusName: it would listen on the default bus, where anyone with events:PutEvents on it can ask for deletions", templatePath)
	}
	id := refName(t, bus)
	requireType(t, tmpl, id, "AWS::Events::EventBus")
	return id
}

func TestRequestPrincipalsParameterDefaultsToThisAccountOnly(t *testing.T) {
	tmpl := loadTemplate(t)
	param := at(t, tmpl, "Parameters", requestPrincipalsParam)
	if got := at(t, param, "Type"); got != "CommaDelimitedList" {
		t.Errorf("%s Type = %v, want CommaDelimitedList", requestPrincipalsParam, got)
	}
	// Empty: principals of this account, as their IAM policies allow; never another account.
	if got := at(t, param, "Default"); got != "" {
		t.Errorf("%s Default = %#v, want \"\"", requestPrincipalsParam, got)
	}
	want := map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{
		map[string]any{"Fn::Join": []any{",", ref(requestPrincipalsParam)}},
		"",
	}}}}
	if diff := cmp.Diff(want, at(t, tmpl, "Conditions", requestPrincipalsCondition)); diff != "" {
		t.Errorf("Conditions.%s (-want +got):\n%s", requestPrincipalsCondition, diff)
	}
}

func TestCustomRequestsArriveOnTheStacksOwnBus(t *testing.T) {
	tmpl := loadTemplate(t)
	busID := requestBusID(t, tmpl)
	custom := events(t, tmpl, "EventBridgeRule")["CleanupRequested"]
	if diff := cmp.Diff([]any{ref("CustomEventSource")}, at(t, custom, "Pattern", "source")); diff != "" {
		t.Errorf("CleanupRequested Pattern.source (-want +got):\n%s", diff)
	}

	for name, props := range events(t, tmpl, "EventBridgeRule") {
		sources, ok := at(t, props, "Pattern", "source").([]any)
		if !ok || len(sources) == 0 {
			t.Errorf("rule %s: Pattern.source is %v, want a non-empty list", name, at(t, props, "Pattern", "source"))
			continue
		}
		fromAWS := !slices.ContainsFunc(sources, func(s any) bool {
			str, ok := s.(string)
			return !ok || !strings.HasPrefix(str, "aws.")
		})
		bus, onBus := props["EventBusName"]
		switch {
		case fromAWS && onBus && bus != "default":
			// AWS services deliver their events to the default bus only.
			t.Errorf("rule %s matches AWS service events but listens on %v; they arrive only on the default bus", name, bus)
		case !fromAWS && !cmp.Equal(bus, ref(busID)):
			t.Errorf("rule %s matches custom events on bus %v, want the stack's own bus %s", name, bus, busID)
		}
	}

	outputs := at(t, tmpl, "Outputs")
	if diff := cmp.Diff(ref(busID), at(t, outputs, "RequestBusName", "Value")); diff != "" {
		t.Errorf("Outputs.RequestBusName (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(getAtt(busID, "Arn"), at(t, outputs, "RequestBusArn", "Value")); diff != "" {
		t.Errorf("Outputs.RequestBusArn (-want +got):\n%s", diff)
	}
}

func TestRequestBusPolicyAllowsPutEventsOnlyToTheRequesters(t *testing.T) {
	tmpl := loadTemplate(t)
	busID := requestBusID(t, tmpl)
	props := at(t, tmpl, "Resources", busID, "Properties")

	// The policy cannot !GetAtt its own bus: it names the ARN built from the bus's Name.
	var name string
	switch n := at(t, props, "Name").(type) {
	case string:
		name = n
	case map[string]any:
		name, _ = n["Fn::Sub"].(string)
	}
	if name == "" {
		t.Fatalf("%s Name is %v, want a string or a !Sub", busID, at(t, props, "Name"))
	}
	busARN := map[string]any{"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/" + name}

	checkRequesterPolicy(t, busID+" Policy", documentStatements(t, at(t, props, "Policy")), "events:PutEvents", busARN, onlyRequesters)

	// A separate bus policy resource would replace or extend the bus's own policy out of sight.
	for id := range resourcesOfType(t, tmpl, "AWS::Events::EventBusPolicy") {
		t.Errorf("%s: AWS::Events::EventBusPolicy %s; keep the request bus's policy in its Policy property", templatePath, id)
	}
}

func TestCleanupQueuePolicyRefusesOtherSenders(t *testing.T) {
	tmpl := loadTemplate(t)
	sqs := events(t, tmpl, "SQS")
	if len(sqs) == 0 {
		t.Fatalf("%s: no SQS event on %s", templatePath, functionID)
	}
	for name, props := range sqs {
		queueID := getAttResource(t, at(t, props, "Queue"), "Arn")
		stmts := queuePolicyStatements(t, tmpl, queueID)
		if len(stmts) == 0 {
			t.Errorf("event %s: queue %s has no AWS::SQS::QueuePolicy", name, queueID)
			continue
		}
		// The function's own role sends the work items of plans.
		checkRequesterPolicy(t, queueID+" policy", stmts, "sqs:SendMessage", getAtt(queueID, "Arn"), onlyRequestersAndFunction(t, tmpl))
	}
}

func TestEveryQueueRefusesInsecureTransport(t *testing.T) {
	tmpl := loadTemplate(t)
	want := func(queueID string) statement {
		return statement{
			Effect:       "Deny",
			Principal:    "*",
			Actions:      []string{"sqs:*"},
			Resource:     getAtt(queueID, "Arn"),
			IAMCondition: map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		}
	}
	for queueID := range resourcesOfType(t, tmpl, "AWS::SQS::Queue") {
		w := want(queueID)
		found := slices.ContainsFunc(queuePolicyStatements(t, tmpl, queueID), func(s statement) bool {
			s.Sid = ""
			return cmp.Equal(w, s)
		})
		if !found {
			t.Errorf("queue %s: no policy statement %+v", queueID, w)
		}
	}
}

func TestFunctionRoleIsTheStacksOwnWithoutManagedPolicies(t *testing.T) {
	tmpl := loadTemplate(t)
	if _, ok := function(t, tmpl)["Policies"]; ok {
		t.Errorf("%s sets Policies; SAM ignores them when Role is set, so they would grant nothing and mislead", functionID)
	}
	roleID := functionRoleID(t, tmpl)
	role, _ := at(t, tmpl, "Resources", roleID, "Properties").(map[string]any)
	// SAM's generated role would attach AWSLambdaBasicExecutionRole
	// (logs:CreateLogGroup on "*"), AWSLambdaSQSQueueExecutionRole (every
	// queue of the account) and AWSXrayWriteOnlyAccess.
	if arns, ok := role["ManagedPolicyArns"]; ok {
		t.Errorf("%s ManagedPolicyArns = %v; grant through inline statements, which these tests check", roleID, arns)
	}
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"} {
		for id, r := range resourcesOfType(t, tmpl, typ) {
			// The protection tag's Deny, which only a JSON document can
			// express (protection_test.go reads it).
			if typ == "AWS::IAM::RolePolicy" && id == functionProtectionID {
				continue
			}
			props, _ := r["Properties"].(map[string]any)
			roles, _ := props["Roles"].([]any)
			if slices.ContainsFunc(roles, func(r any) bool { return cmp.Equal(r, ref(roleID)) }) || cmp.Equal(props["RoleName"], ref(roleID)) {
				t.Errorf("%s %s attaches to %s out of these tests' sight; use the role's Policies", typ, id, roleID)
			}
		}
	}
	for _, name := range []string{"AWSLambdaBasicExecutionRole", "AWSLambdaSQSQueueExecutionRole", "AWSLambdaExecute", "AWSXrayWriteOnlyAccess", "AWSXRayDaemonWriteAccess"} {
		walkStrings(tmpl, "", func(path, s string) {
			if strings.Contains(s, name) {
				t.Errorf("%s: %s names the managed policy %s", templatePath, path, name)
			}
		})
	}

	trust := documentStatements(t, at(t, role, "AssumeRolePolicyDocument"))
	if len(trust) != 1 {
		t.Fatalf("%s trust policy has %d statements, want 1", roleID, len(trust))
	}
	if diff := cmp.Diff([]string{"lambda.amazonaws.com"}, servicePrincipals(t, trust[0].Principal)); diff != "" {
		t.Errorf("%s trusted services (-want +got):\n%s", roleID, diff)
	}
	if diff := cmp.Diff([]string{"sts:AssumeRole"}, trust[0].Actions); diff != "" {
		t.Errorf("%s trust actions (-want +got):\n%s", roleID, diff)
	}
}

// walkStrings calls f with every string value of v and its path.
func walkStrings(v any, path string, f func(path, s string)) {
	switch v := v.(type) {
	case string:
		f(path, v)
	case map[string]any:
		for k, e := range v {
			walkStrings(e, path+"."+k, f)
		}
	case []any:
		for i, e := range v {
			walkStrings(e, fmt.Sprintf("%s[%d]", path, i), f)
		}
	}
}

func TestSQSActionsAreScopedToTheFunctionsOwnQueues(t *testing.T) {
	tmpl := loadTemplate(t)
	sqs := events(t, tmpl, "SQS")
	if len(sqs) != 1 {
		t.Fatalf("%s: %d SQS events, want 1", templatePath, len(sqs))
	}
	var queue any
	for _, props := range sqs {
		queue = getAtt(getAttResource(t, at(t, props, "Queue"), "Arn"), "Arn")
	}
	deadLetters := at(t, function(t, tmpl), "EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination")
	getAttResource(t, deadLetters, "Arn")

	// The SQS event sources poll with the function's role: the cleanup
	// queue's always, the offboarding queue's when it exists.
	poll := []grant{{Resource: queue}, {Resource: getAtt(offboardQueueID, "Arn"), Condition: offboardPrincipalsCondition}}
	want := map[string][]grant{
		"sqs:ReceiveMessage":          poll,
		"sqs:DeleteMessage":           poll,
		"sqs:GetQueueAttributes":      poll,
		"sqs:ChangeMessageVisibility": poll,
		// Failed asynchronous invocations go to the event dead-letter
		// queue; plans send their work items to the cleanup queue. Nothing
		// is sent to the offboarding queue.
		"sqs:SendMessage": {{Resource: deadLetters}, {Resource: queue}},
	}
	got := grants(policyStatements(t, tmpl), withPrefix("sqs:"))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SQS grants of the function's role (-want +got):\n%s", diff)
	}
}

func TestLogsActionsAreScopedToTheFunctionsLogGroup(t *testing.T) {
	tmpl := loadTemplate(t)
	logGroup := refName(t, at(t, function(t, tmpl), "LoggingConfig", "LogGroup"))
	requireType(t, tmpl, logGroup, "AWS::Logs::LogGroup")
	// The log group's Arn ends in ":*", which covers its log streams. The
	// stack creates the group, so the function needs no logs:CreateLogGroup.
	want := map[string][]grant{
		"logs:CreateLogStream": {{Resource: getAtt(logGroup, "Arn")}},
		"logs:PutLogEvents":    {{Resource: getAtt(logGroup, "Arn")}},
	}
	got := grants(policyStatements(t, tmpl), withPrefix("logs:"))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CloudWatch Logs grants of the function's role (-want +got):\n%s", diff)
	}
}

func TestWildcardResourcesOnlyForActionsWithoutResourceLevelPermissions(t *testing.T) {
	// These actions support no resource-level permissions: "*" is their only valid resource.
	allowed := []string{
		"apprunner:ListConnections", "apprunner:ListServices", "apprunner:ListVpcConnectors",
		"apprunner:ListAutoScalingConfigurations", "apprunner:ListObservabilityConfigurations",
		"xray:PutTraceSegments", "xray:PutTelemetryRecords",
		"organizations:DescribeOrganization",
	}
	stmts := policyStatements(t, loadTemplate(t))
	for _, s := range stmts {
		if s.Effect != "Allow" {
			continue
		}
		resources, _ := s.Resource.([]any)
		if s.Resource != "*" && !slices.Contains(resources, any("*")) {
			continue
		}
		for _, a := range s.Actions {
			if !slices.Contains(allowed, a) {
				t.Errorf("statement %q grants %s on \"*\"; only %v may have it", s.Sid, a, allowed)
			}
		}
	}
	got := grants(stmts, withPrefix("xray:"))
	want := map[string][]grant{
		"xray:PutTraceSegments":    {{Resource: "*"}},
		"xray:PutTelemetryRecords": {{Resource: "*"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("X-Ray grants of the function's role (-want +got):\n%s", diff)
	}
}

func TestScheduleRoleTrustNamesItsSourceAccountAndScheduleGroup(t *testing.T) {
	tmpl := loadTemplate(t)
	schedules := events(t, tmpl, "ScheduleV2")
	if len(schedules) == 0 {
		t.Fatalf("%s: no ScheduleV2 event on %s", templatePath, functionID)
	}
	for name, props := range schedules {
		// Without RoleArn, SAM generates a role that trusts the scheduler with no condition.
		rawRole, ok := props["RoleArn"]
		if !ok {
			t.Errorf("schedule %s has no RoleArn; SAM's generated role trusts the scheduler service with no source condition", name)
			continue
		}
		roleID := getAttResource(t, rawRole, "Arn")
		requireType(t, tmpl, roleID, "AWS::IAM::Role")
		group := refName(t, at(t, props, "GroupName"))
		requireType(t, tmpl, group, "AWS::Scheduler::ScheduleGroup")

		// EventBridge Scheduler sets aws:SourceArn to the schedule group's ARN.
		trust := documentStatements(t, at(t, tmpl, "Resources", roleID, "Properties", "AssumeRolePolicyDocument"))
		if len(trust) != 1 {
			t.Fatalf("%s trust policy has %d statements, want 1", roleID, len(trust))
		}
		want := statement{
			Effect:    "Allow",
			Actions:   []string{"sts:AssumeRole"},
			Principal: map[string]any{"Service": "scheduler.amazonaws.com"},
			IAMCondition: map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": ref("AWS::AccountId")},
				"ArnEquals":    map[string]any{"aws:SourceArn": getAtt(group, "Arn")},
			},
		}
		got := trust[0]
		got.Sid = ""
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s trust statement (-want +got):\n%s", roleID, diff)
		}

		role, _ := at(t, tmpl, "Resources", roleID, "Properties").(map[string]any)
		if arns, ok := role["ManagedPolicyArns"]; ok {
			t.Errorf("%s ManagedPolicyArns = %v, want none", roleID, arns)
		}
		wantGrants := map[string][]grant{
			"lambda:InvokeFunction": {{Resource: getAtt(functionID, "Arn")}},
			"sqs:SendMessage":       {{Resource: at(t, props, "DeadLetterConfig", "Arn")}},
		}
		all := func(string) bool { return true }
		if diff := cmp.Diff(wantGrants, grants(roleStatements(t, tmpl, roleID), all)); diff != "" {
			t.Errorf("%s grants (-want +got):\n%s", roleID, diff)
		}
	}
}

func TestServicePrincipalsAreBoundToTheirSource(t *testing.T) {
	tmpl := loadTemplate(t)
	requireSource := func(who string, s statement) {
		t.Helper()
		keys := conditionKeys(s.IAMCondition)
		for _, k := range []string{"aws:SourceAccount", "aws:SourceArn"} {
			if !slices.Contains(keys, k) {
				t.Errorf("%s: statement %q lets service %v in without an %s condition", who, s.Sid, servicePrincipals(t, s.Principal), k)
			}
		}
	}

	for id, r := range resourcesOfType(t, tmpl, "AWS::IAM::Role") {
		for _, s := range documentStatements(t, at(t, r, "Properties", "AssumeRolePolicyDocument")) {
			services := servicePrincipals(t, s.Principal)
			// Lambda assumes an execution role only for a function
			// created by someone allowed to pass the role (iam:PassRole);
			// the template binds no source to it.
			if len(services) == 0 || cmp.Equal(services, []string{"lambda.amazonaws.com"}) {
				continue
			}
			requireSource(id+" trust", s)
		}
	}
	for id, qp := range resourcesOfType(t, tmpl, "AWS::SQS::QueuePolicy") {
		for _, s := range documentStatements(t, at(t, qp, "Properties", "PolicyDocument")) {
			if s.Effect == "Allow" && len(servicePrincipals(t, s.Principal)) > 0 {
				requireSource(id, s)
			}
		}
	}
	for id, bus := range resourcesOfType(t, tmpl, "AWS::Events::EventBus") {
		props, _ := bus["Properties"].(map[string]any)
		if policy, ok := props["Policy"]; ok {
			for _, s := range documentStatements(t, policy) {
				if s.Effect == "Allow" && len(servicePrincipals(t, s.Principal)) > 0 {
					requireSource(id+" Policy", s)
				}
			}
		}
	}
	// SAM generates the permissions of the EventBridge rules with the rule's
	// ARN as SourceArn; any written here must carry one too.
	for id, p := range resourcesOfType(t, tmpl, "AWS::Lambda::Permission") {
		props, _ := p["Properties"].(map[string]any)
		principal, _ := props["Principal"].(string)
		if _, ok := props["SourceArn"]; strings.HasSuffix(principal, ".amazonaws.com") && !ok {
			t.Errorf("%s lets %s invoke the function without a SourceArn", id, principal)
		}
	}
}

func TestEventDeadLetterQueueAcceptsEventBridgeOnlyFromTheStacksRules(t *testing.T) {
	tmpl := loadTemplate(t)
	dlq := getAttResource(t, at(t, function(t, tmpl), "EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination"), "Arn")

	// SAM names the rule of event E of function F "FE". Rules written out
	// (those SAM cannot make conditional) exist under their Condition.
	var wantRules []string
	for name := range events(t, tmpl, "EventBridgeRule") {
		wantRules = append(wantRules, functionID+name)
	}
	for id, r := range functionRules(t, tmpl) {
		cond, _ := r["Condition"].(string)
		wantRules = append(wantRules, cond+"?"+id)
	}
	sort.Strings(wantRules)

	var found int
	for _, s := range queuePolicyStatements(t, tmpl, dlq) {
		if s.Effect != "Allow" {
			continue
		}
		found++
		if diff := cmp.Diff([]string{"events.amazonaws.com"}, servicePrincipals(t, s.Principal)); diff != "" {
			t.Errorf("%s: principals allowed to send (-want +got):\n%s", dlq, diff)
		}
		if diff := cmp.Diff([]string{"sqs:SendMessage"}, s.Actions); diff != "" {
			t.Errorf("%s: actions allowed to EventBridge (-want +got):\n%s", dlq, diff)
		}
		if diff := cmp.Diff(getAtt(dlq, "Arn"), s.Resource); diff != "" {
			t.Errorf("%s: Resource (-want +got):\n%s", dlq, diff)
		}
		if diff := cmp.Diff(ref("AWS::AccountId"), at(t, s.IAMCondition, "StringEquals", "aws:SourceAccount")); diff != "" {
			t.Errorf("%s: aws:SourceAccount (-want +got):\n%s", dlq, diff)
		}
		arns, ok := at(t, s.IAMCondition, "ArnEquals", "aws:SourceArn").([]any)
		if !ok {
			t.Fatalf("%s: aws:SourceArn is not a list of the rules' ARNs", dlq)
		}
		var gotRules []string
		for _, a := range arns {
			// !If [Condition, !GetAtt Rule.Arn, !Ref AWS::NoValue] for a conditional rule.
			cond, a := conditional(t, a)
			if cond != "" {
				cond += "?"
			}
			gotRules = append(gotRules, cond+getAttResource(t, a, "Arn"))
		}
		sort.Strings(gotRules)
		if diff := cmp.Diff(wantRules, gotRules); diff != "" {
			t.Errorf("%s: rules allowed to park events (-want +got):\n%s", dlq, diff)
		}
	}
	if found != 1 {
		t.Errorf("%s: %d Allow statements, want 1 for the stack's EventBridge rules", dlq, found)
	}
}
