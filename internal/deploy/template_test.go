package deploy

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
)

const (
	templatePath = "../../template.yaml"
	makefilePath = "../../Makefile"
	functionID   = "CleanupFunction"
)

// loadTemplate parses the SAM template into plain maps, slices and scalars,
// with CloudFormation short-form tags (!Ref, !GetAtt, !Sub, ...) rewritten to
// their long form ({"Ref": ...}, {"Fn::GetAtt": [...]}, ...).
func loadTemplate(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatalf("read template: %v", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse %s: %v", templatePath, err)
	}
	v, err := fromNode(&doc)
	if err != nil {
		t.Fatalf("convert %s: %v", templatePath, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: top level is %T, want a mapping", templatePath, v)
	}
	return m
}

func fromNode(n *yaml.Node) (any, error) {
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return fromIntrinsic(n)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return fromNode(n.Content[0])
	case yaml.AliasNode:
		return fromNode(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := fromNode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := fromNode(c)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node kind %v", n.Line, n.Kind)
}

// fromIntrinsic rewrites one short-form intrinsic function to its long form.
func fromIntrinsic(n *yaml.Node) (any, error) {
	name := strings.TrimPrefix(n.Tag, "!")
	plain := *n
	plain.Tag = ""
	if n.Kind == yaml.ScalarNode {
		plain.Tag = "!!str"
	}
	inner, err := fromNode(&plain)
	if err != nil {
		return nil, err
	}
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: inner}, nil
	case "GetAtt":
		if s, ok := inner.(string); ok {
			resource, attr, _ := strings.Cut(s, ".")
			return map[string]any{"Fn::GetAtt": []any{resource, attr}}, nil
		}
	}
	return map[string]any{"Fn::" + name: inner}, nil
}

// at follows a path of mapping keys from v and fails the test when a key is missing.
func at(t *testing.T, v any, path ...string) any {
	t.Helper()
	for i, key := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: %s is %T, want a mapping", templatePath, strings.Join(path[:i], "."), v)
		}
		v, ok = m[key]
		if !ok {
			t.Fatalf("%s: %s is missing", templatePath, strings.Join(path[:i+1], "."))
		}
	}
	return v
}

func function(t *testing.T, tmpl map[string]any) map[string]any {
	t.Helper()
	props, ok := at(t, tmpl, "Resources", functionID, "Properties").(map[string]any)
	if !ok {
		t.Fatalf("%s: Resources.%s.Properties is not a mapping", templatePath, functionID)
	}
	return props
}

// stringList returns v as a list of strings, accepting a single string too (IAM allows both).
func stringList(t *testing.T, v any) []string {
	t.Helper()
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				t.Fatalf("list element %v is %T, want a string", e, e)
			}
			out = append(out, s)
		}
		return out
	}
	t.Fatalf("%v is %T, want a string or a list of strings", v, v)
	return nil
}

// statement is one IAM policy statement.
type statement struct {
	Sid      string
	Effect   string
	Actions  []string
	Resource any
	// Principal is the statement's Principal element (resource and trust
	// policies); nil in identity policies.
	Principal any
	// IAMCondition is the statement's Condition element, nil when absent.
	IAMCondition any
	// Condition names the template condition under which the statement
	// exists (an !If whose other branch is AWS::NoValue); empty means always.
	Condition string
}

// documentStatements returns the statements of one policy document.
func documentStatements(t *testing.T, doc any) []statement {
	t.Helper()
	stmts, ok := at(t, doc, "Statement").([]any)
	if !ok {
		t.Fatalf("%s: policy Statement is not a list", templatePath)
	}
	var out []statement
	for _, s := range stmts {
		condition, s := conditional(t, s)
		m, ok := s.(map[string]any)
		if !ok {
			t.Fatalf("%s: policy statement %v is %T, want a mapping", templatePath, s, s)
		}
		sid, _ := m["Sid"].(string)
		out = append(out, statement{
			Sid:          sid,
			Effect:       fmt.Sprint(at(t, s, "Effect")),
			Actions:      stringList(t, at(t, s, "Action")),
			Resource:     m["Resource"],
			Principal:    m["Principal"],
			IAMCondition: m["Condition"],
			Condition:    condition,
		})
	}
	return out
}

// functionRoleID returns the logical ID of the function's execution role,
// which must be a role of this template.
func functionRoleID(t *testing.T, tmpl map[string]any) string {
	t.Helper()
	id := getAttResource(t, at(t, function(t, tmpl), "Role"), "Arn")
	if got := at(t, tmpl, "Resources", id, "Type"); got != "AWS::IAM::Role" {
		t.Fatalf("%s: the function's role %s has Type %v, want AWS::IAM::Role", templatePath, id, got)
	}
	return id
}

// roleStatements returns the statements of a role's inline policies.
func roleStatements(t *testing.T, tmpl map[string]any, roleID string) []statement {
	t.Helper()
	policies, ok := at(t, tmpl, "Resources", roleID, "Properties", "Policies").([]any)
	if !ok {
		t.Fatalf("%s: %s Policies is not a list", templatePath, roleID)
	}
	var out []statement
	for _, p := range policies {
		out = append(out, documentStatements(t, at(t, p, "PolicyDocument"))...)
	}
	return out
}

// policyStatements returns every statement of the function's execution role.
func policyStatements(t *testing.T, tmpl map[string]any) []statement {
	t.Helper()
	return roleStatements(t, tmpl, functionRoleID(t, tmpl))
}

// conditional unwraps a statement of the form !If [Condition, statement,
// !Ref AWS::NoValue]; any other !If would hide a statement from the checks.
func conditional(t *testing.T, s any) (condition string, stmt any) {
	t.Helper()
	m, ok := s.(map[string]any)
	if !ok {
		t.Fatalf("%s: policy statement %v is %T, want a mapping", templatePath, s, s)
	}
	fnIf, ok := m["Fn::If"]
	if !ok {
		return "", s
	}
	branches, ok := fnIf.([]any)
	if !ok || len(branches) != 3 {
		t.Fatalf("%s: policy statement %v: !If needs [condition, statement, else]", templatePath, s)
	}
	name, ok := branches[0].(string)
	if !ok {
		t.Fatalf("%s: policy statement %v: !If condition is %T, want a name", templatePath, s, branches[0])
	}
	if diff := cmp.Diff(map[string]any{"Ref": "AWS::NoValue"}, branches[2]); diff != "" {
		t.Fatalf("%s: conditional policy statement under %s must fall back to AWS::NoValue (-want +got):\n%s", templatePath, name, diff)
	}
	return name, branches[1]
}

func events(t *testing.T, tmpl map[string]any, eventType string) map[string]map[string]any {
	t.Helper()
	all, ok := at(t, function(t, tmpl), "Events").(map[string]any)
	if !ok {
		t.Fatalf("%s: %s Events is not a mapping", templatePath, functionID)
	}
	out := make(map[string]map[string]any)
	for name, e := range all {
		if at(t, e, "Type") == eventType {
			props, _ := at(t, e, "Properties").(map[string]any)
			out[name] = props
		}
	}
	return out
}

func number(t *testing.T, v any) int {
	t.Helper()
	switch v := v.(type) {
	case int:
		return v
	case string:
		n, err := strconv.Atoi(v)
		if err == nil {
			return n
		}
	}
	t.Fatalf("%v is %T, want a literal integer", v, v)
	return 0
}

// getAttResource returns X for {"Fn::GetAtt": [X, attr]}.
func getAttResource(t *testing.T, v any, attr string) string {
	t.Helper()
	ga, ok := at(t, v, "Fn::GetAtt").([]any)
	if !ok || len(ga) != 2 || ga[1] != attr {
		t.Fatalf("%v is not a !GetAtt of %s", v, attr)
	}
	return fmt.Sprint(ga[0])
}

// otherActions are the non-App Runner actions the function may be granted;
// each has its own test of how it is scoped.
var otherActions = []string{
	"sts:AssumeRole",
	// Organization plans (organization_test.go).
	"organizations:ListOrganizationalUnitsForParent", "organizations:ListAccountsForParent",
	"organizations:ListParents", "organizations:DescribeAccount", "organizations:DescribeOrganization",
	"logs:CreateLogStream", "logs:PutLogEvents",
	"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility",
	"sqs:SendMessage",
	"xray:PutTraceSegments", "xray:PutTelemetryRecords",
}

func TestIAMGrantsExactlyTheAppRunnerOperationsTheEngineCalls(t *testing.T) {
	tmpl := loadTemplate(t)
	var got []string
	for _, s := range policyStatements(t, tmpl) {
		if s.Effect != "Allow" {
			continue
		}
		for _, a := range s.Actions {
			switch {
			case strings.HasPrefix(a, "apprunner:"):
				got = append(got, a)
			case !slices.Contains(otherActions, a):
				t.Errorf("the function's role grants %s, which is neither an App Runner operation nor one of %v", a, otherActions)
			}
		}
	}
	// Each once: the tag actions are granted once per kind, on its ARNs.
	slices.Sort(got)
	got = slices.Compact(got)
	var want []string
	for _, op := range cleanup.Operations() {
		want = append(want, "apprunner:"+op)
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("App Runner actions of the function's role differ from cleanup.Operations() (-want +got):\n%s", diff)
	}
}

func TestAssumeRoleIsGrantedOnlyOnTheOffboardRolesAndOnlyWhenSomeAreGiven(t *testing.T) {
	tmpl := loadTemplate(t)
	param := at(t, tmpl, "Parameters", "OffboardRoleArns")
	if got := at(t, param, "Type"); got != "CommaDelimitedList" {
		t.Errorf("OffboardRoleArns Type = %v, want CommaDelimitedList", got)
	}
	// Cross-account offboarding is opt-in: by default no role may be assumed.
	if got := at(t, param, "Default"); got != "" {
		t.Errorf("OffboardRoleArns Default = %#v, want \"\"", got)
	}
	wantCondition := map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{
		map[string]any{"Fn::Join": []any{",", map[string]any{"Ref": "OffboardRoleArns"}}},
		"",
	}}}}
	if diff := cmp.Diff(wantCondition, at(t, tmpl, "Conditions", "HasOffboardRoles")); diff != "" {
		t.Errorf("Conditions.HasOffboardRoles (-want +got):\n%s", diff)
	}

	var found int
	for _, s := range policyStatements(t, tmpl) {
		if !slices.ContainsFunc(s.Actions, func(a string) bool { return a == "sts:AssumeRole" || a == "sts:*" || a == "*" }) {
			continue
		}
		// The member role of organization plans: organization_test.go
		// checks it, and that it is the only other one.
		if s.Condition == organizationPlansCondition {
			continue
		}
		found++
		if diff := cmp.Diff([]string{"sts:AssumeRole"}, s.Actions); diff != "" {
			t.Errorf("actions of the statement granting sts:AssumeRole (-want +got):\n%s", diff)
		}
		if s.Effect != "Allow" {
			t.Errorf("sts:AssumeRole statement Effect = %s, want Allow", s.Effect)
		}
		// Never "*": the function may assume only the roles the operator listed.
		if diff := cmp.Diff(map[string]any{"Ref": "OffboardRoleArns"}, s.Resource); diff != "" {
			t.Errorf("sts:AssumeRole Resource (-want +got):\n%s", diff)
		}
		// An empty list would otherwise yield Resource [""], which IAM rejects.
		if s.Condition != "HasOffboardRoles" {
			t.Errorf("sts:AssumeRole is granted under condition %q, want HasOffboardRoles", s.Condition)
		}
	}
	if found != 1 {
		t.Errorf("sts:AssumeRole appears in %d statements, want 1", found)
	}
}

func TestSQSEventReportsBatchItemFailures(t *testing.T) {
	sqs := events(t, loadTemplate(t), "SQS")
	if len(sqs) == 0 {
		t.Fatalf("%s: no SQS event on %s", templatePath, functionID)
	}
	for name, props := range sqs {
		types := stringList(t, at(t, props, "FunctionResponseTypes"))
		if !slices.Contains(types, "ReportBatchItemFailures") {
			t.Errorf("SQS event %s FunctionResponseTypes = %v, want ReportBatchItemFailures", name, types)
		}
	}
}

func TestQueueRedrivesToDeadLetterQueueKeptFourteenDays(t *testing.T) {
	tmpl := loadTemplate(t)
	for name, props := range events(t, tmpl, "SQS") {
		queueID := getAttResource(t, at(t, props, "Queue"), "Arn")
		redrive := at(t, tmpl, "Resources", queueID, "Properties", "RedrivePolicy")
		at(t, redrive, "maxReceiveCount")
		dlqID := getAttResource(t, at(t, redrive, "deadLetterTargetArn"), "Arn")
		if got := at(t, tmpl, "Resources", dlqID, "Type"); got != "AWS::SQS::Queue" {
			t.Errorf("event %s: dead-letter target %s has Type %v, want AWS::SQS::Queue", name, dlqID, got)
		}
		const fourteenDays = 14 * 24 * 3600
		if got := number(t, at(t, tmpl, "Resources", dlqID, "Properties", "MessageRetentionPeriod")); got != fourteenDays {
			t.Errorf("%s MessageRetentionPeriod = %d, want %d", dlqID, got, fourteenDays)
		}
	}
}

func TestQueueVisibilityTimeoutIsAtLeastSixFunctionTimeouts(t *testing.T) {
	tmpl := loadTemplate(t)
	timeout := number(t, at(t, function(t, tmpl), "Timeout"))
	for name, props := range events(t, tmpl, "SQS") {
		queueID := getAttResource(t, at(t, props, "Queue"), "Arn")
		got := number(t, at(t, tmpl, "Resources", queueID, "Properties", "VisibilityTimeout"))
		if got < 6*timeout {
			t.Errorf("event %s: %s VisibilityTimeout = %d, want >= 6 x Timeout = %d", name, queueID, got, 6*timeout)
		}
	}
}

func TestAsyncTriggersHaveDeadLetterQueueAndRetryPolicy(t *testing.T) {
	tmpl := loadTemplate(t)
	for _, typ := range []string{"ScheduleV2", "EventBridgeRule"} {
		evs := events(t, tmpl, typ)
		if len(evs) == 0 {
			t.Errorf("%s: no %s event on %s", templatePath, typ, functionID)
		}
		for _, props := range evs {
			at(t, props, "DeadLetterConfig", "Arn")
			at(t, props, "RetryPolicy", "MaximumRetryAttempts")
		}
	}
	at(t, function(t, tmpl), "EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination")
}

func TestScheduleSendsASweep(t *testing.T) {
	for name, props := range events(t, loadTemplate(t), "ScheduleV2") {
		if got := at(t, props, "Input"); got != `{"action":"sweep"}` {
			t.Errorf("schedule %s Input = %v, want {\"action\":\"sweep\"}", name, got)
		}
	}
}

func TestTracingIsActive(t *testing.T) {
	if got := at(t, function(t, loadTemplate(t)), "Tracing"); got != "Active" {
		t.Errorf("Tracing = %v, want Active", got)
	}
}

func TestLoggingIsJSONWithAConfigurableLevel(t *testing.T) {
	tmpl := loadTemplate(t)
	cfg := at(t, function(t, tmpl), "LoggingConfig")
	if got := at(t, cfg, "LogFormat"); got != "JSON" {
		t.Errorf("LoggingConfig.LogFormat = %v, want JSON", got)
	}
	// The metrics record carries the configured level (internal/report), so
	// operators may raise the level without losing metrics.
	if diff := cmp.Diff(map[string]any{"Ref": "ApplicationLogLevel"}, at(t, cfg, "ApplicationLogLevel")); diff != "" {
		t.Errorf("ApplicationLogLevel (-want +got):\n%s", diff)
	}
	if got := at(t, tmpl, "Parameters", "ApplicationLogLevel", "Default"); got != "INFO" {
		t.Errorf("ApplicationLogLevel default = %v, want INFO so that every decision is logged", got)
	}
}

func TestDryRunIsTheDefault(t *testing.T) {
	tmpl := loadTemplate(t)
	if got := at(t, tmpl, "Parameters", "DryRun", "Default"); got != "true" {
		t.Errorf("Parameters.DryRun.Default = %#v, want \"true\"", got)
	}
	got := at(t, function(t, tmpl), "Environment", "Variables", "DRY_RUN")
	if diff := cmp.Diff(map[string]any{"Ref": "DryRun"}, got); diff != "" {
		t.Errorf("DRY_RUN (-want +got):\n%s", diff)
	}
}

func TestEnvironmentComesFromParameters(t *testing.T) {
	tmpl := loadTemplate(t)
	vars := at(t, function(t, tmpl), "Environment", "Variables")
	tests := map[string]string{
		"DRY_RUN":             "DryRun",
		"MIN_CONNECTION_AGE":  "MinConnectionAge",
		"UNUSED_FOR":          "UnusedFor",
		"OFFBOARD_DELAY":      "OffboardDelay",
		"PROTECT_TAG_KEY":     "ProtectTagKey",
		"NAME_INCLUDE":        "NameInclude",
		"NAME_EXCLUDE":        "NameExclude",
		"MAX_CONCURRENCY":     "MaxConcurrency",
		"METRICS_NAMESPACE":   "MetricsNamespace",
		"CUSTOM_EVENT_SOURCE": "CustomEventSource",
		"USAGE_INDEX_TTL":     "UsageIndexTTL",
		"RESOURCE_TYPES":      "ResourceTypes",
	}
	for env, param := range tests {
		if diff := cmp.Diff(map[string]any{"Ref": param}, at(t, vars, env)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", env, diff)
		}
		at(t, tmpl, "Parameters", param, "Default")
	}
	if diff := cmp.Diff(map[string]any{"Ref": "AWS::AccountId"}, at(t, vars, "ACCOUNT_ID")); diff != "" {
		t.Errorf("ACCOUNT_ID (-want +got):\n%s", diff)
	}
	// The function reads a comma-separated string; the parameter is a list.
	wantRoles := map[string]any{"Fn::Join": []any{",", map[string]any{"Ref": "OffboardRoleArns"}}}
	if diff := cmp.Diff(wantRoles, at(t, vars, "OFFBOARD_ROLE_ARNS")); diff != "" {
		t.Errorf("OFFBOARD_ROLE_ARNS (-want +got):\n%s", diff)
	}
	at(t, tmpl, "Parameters", "OffboardRoleArns", "Default")
}

func TestFunctionBuildsWithTheMakefile(t *testing.T) {
	tmpl := loadTemplate(t)
	if got := at(t, tmpl, "Resources", functionID, "Metadata", "BuildMethod"); got != "makefile" {
		t.Errorf("Metadata.BuildMethod = %v, want makefile", got)
	}
	fn := function(t, tmpl)
	for key, want := range map[string]any{"Runtime": "provided.al2023", "Handler": "bootstrap"} {
		if got := at(t, fn, key); got != want {
			t.Errorf("%s = %v, want %v", key, got, want)
		}
	}
	if diff := cmp.Diff([]string{"arm64"}, stringList(t, at(t, fn, "Architectures"))); diff != "" {
		t.Errorf("Architectures (-want +got):\n%s", diff)
	}

	makefile, err := os.ReadFile(makefilePath)
	if err != nil {
		t.Fatalf("read Makefile: %v", err)
	}
	if !regexp.MustCompile(`(?m)^build-` + functionID + `:`).Match(makefile) {
		t.Errorf("%s has no build-%s target, which sam build runs", makefilePath, functionID)
	}
}

// TestProtectTagKeyCannotBeEmpty: an empty key would turn tag protection
// off without a word; the function refuses it at start, and the stack
// refuses it before that (<none> is the explicit way).
func TestProtectTagKeyCannotBeEmpty(t *testing.T) {
	tmpl := loadTemplate(t)
	if got := number(t, at(t, tmpl, "Parameters", "ProtectTagKey", "MinLength")); got != 1 {
		t.Errorf("Parameters.ProtectTagKey.MinLength = %d, want 1", got)
	}
}

// TestProtectTagKeyCannotBeTheIdleMark: the stack refuses the mark's key
// as the protection key, as the function does at start: the function
// writes and removes that tag itself.
func TestProtectTagKeyCannotBeTheIdleMark(t *testing.T) {
	want := map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "ProtectTagKey"}, cleanup.MarkTagKey}}}}
	got := at(t, loadTemplate(t), "Rules", "ProtectionIsNotTheIdleMark", "Assertions")
	list, ok := got.([]any)
	if !ok || len(list) != 1 {
		t.Fatalf("Rules.ProtectionIsNotTheIdleMark.Assertions = %v, want one assertion", got)
	}
	if diff := cmp.Diff(want, at(t, list[0], "Assert")); diff != "" {
		t.Errorf("the assertion (-want +got):\n%s", diff)
	}
}

// markCondition is the condition that holds tagging to the idle period's
// mark: no other tag key can be written or removed.
func markCondition() any {
	return map[string]any{"ForAllValues:StringEquals": map[string]any{"aws:TagKeys": []any{cleanup.MarkTagKey}}}
}
