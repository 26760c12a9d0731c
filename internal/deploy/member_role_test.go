package deploy

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// The member role (member-role.yaml): the role that a StackSet creates in
// every account to offboard, and through which the function acts there.

const (
	memberRolePath        = "../../member-role.yaml"
	readmePath            = "../../docs/triggers.md"
	memberRoleID          = "CleanupMemberRole"
	functionRoleArnParam  = "FunctionRoleArn"
	memberRoleNameParam   = "RoleName"
	memberRoleDefaultName = "AppRunnerConnectionCleanup"
	memberProtectionID    = "ProtectedConnectionsBackstop"
	memberRegionDenySid   = "OnlyRegionsWithAppRunner"
)

// loadMemberRole parses member-role.yaml as loadTemplate parses the SAM
// template: short-form intrinsics rewritten to their long form.
func loadMemberRole(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(memberRolePath)
	if err != nil {
		t.Fatalf("read member role template: %v", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse %s: %v", memberRolePath, err)
	}
	v, err := fromNode(&doc)
	if err != nil {
		t.Fatalf("convert %s: %v", memberRolePath, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: top level is %T, want a mapping", memberRolePath, v)
	}
	return m
}

// memberAt follows a path of mapping keys in the member role template and
// fails the test, naming that file, when a key is missing.
func memberAt(t *testing.T, v any, path ...string) any {
	t.Helper()
	for i, key := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: %s is %T, want a mapping", memberRolePath, strings.Join(path[:i], "."), v)
		}
		v, ok = m[key]
		if !ok {
			t.Fatalf("%s: %s is missing", memberRolePath, strings.Join(path[:i+1], "."))
		}
	}
	return v
}

func memberRole(t *testing.T, tmpl map[string]any) map[string]any {
	t.Helper()
	if got := memberAt(t, tmpl, "Resources", memberRoleID, "Type"); got != "AWS::IAM::Role" {
		t.Fatalf("%s: %s has Type %v, want AWS::IAM::Role", memberRolePath, memberRoleID, got)
	}
	props, ok := memberAt(t, tmpl, "Resources", memberRoleID, "Properties").(map[string]any)
	if !ok {
		t.Fatalf("%s: %s Properties is not a mapping", memberRolePath, memberRoleID)
	}
	return props
}

// memberStatements returns the statements of one policy document of the
// member role, refusing any element but those in allowed: an unconditional
// role has no use for !If, and NotAction, NotResource or NotPrincipal in an
// Allow would grant, or trust, everything they do not name.
func memberStatements(t *testing.T, doc any, allowed ...string) []statement {
	t.Helper()
	stmts, ok := memberAt(t, doc, "Statement").([]any)
	if !ok {
		t.Fatalf("%s: policy Statement is not a list", memberRolePath)
	}
	var out []statement
	for _, s := range stmts {
		m, ok := s.(map[string]any)
		if !ok {
			t.Fatalf("%s: policy statement %v is %T, want a mapping", memberRolePath, s, s)
		}
		for key := range m {
			if !slices.Contains(allowed, key) {
				t.Errorf("%s: policy statement %v has %s; only %v are expected", memberRolePath, s, key, allowed)
			}
		}
		effect, _ := m["Effect"].(string)
		sid, _ := m["Sid"].(string)
		out = append(out, statement{
			Sid:          sid,
			Effect:       effect,
			Actions:      stringList(t, memberAt(t, s, "Action")),
			Resource:     m["Resource"],
			Principal:    m["Principal"],
			IAMCondition: m["Condition"],
		})
	}
	return out
}

// memberPermissions returns the statements of the member role's inline policies.
func memberPermissions(t *testing.T, tmpl map[string]any) []statement {
	t.Helper()
	policies, ok := memberAt(t, memberRole(t, tmpl), "Policies").([]any)
	if !ok {
		t.Fatalf("%s: %s Policies is not a list", memberRolePath, memberRoleID)
	}
	var out []statement
	for _, p := range policies {
		out = append(out, memberStatements(t, memberAt(t, p, "PolicyDocument"), "Sid", "Effect", "Action", "Resource", "Condition")...)
	}
	return out
}

func TestMemberRoleGrantsExactlyTheAppRunnerOperationsTheEngineCalls(t *testing.T) {
	var got []string
	for _, s := range memberPermissions(t, loadMemberRole(t)) {
		if s.Effect == "Deny" && s.Sid == memberRegionDenySid {
			continue // TestMemberRoleReachesOnlyRegionsWithAppRunner
		}
		if s.Effect != "Allow" {
			t.Errorf("statement %q has Effect %q; the member role's inline policy needs Allow statements and the region Deny only", s.Sid, s.Effect)
			continue
		}
		// Unconditional but for the mark's tag key (see
		// TestTaggingIsHeldToTheIdleMark): the region Deny says where the
		// role acts.
		if s.IAMCondition != nil && !cmp.Equal(s.IAMCondition, markCondition()) {
			t.Errorf("statement %q has Condition %v; the region Deny says where the role acts", s.Sid, s.IAMCondition)
		}
		for _, a := range s.Actions {
			if !strings.HasPrefix(a, "apprunner:") {
				t.Errorf("statement %q grants %s; the member role needs only App Runner actions", s.Sid, a)
				continue
			}
			got = append(got, a)
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
		t.Errorf("App Runner actions of the member role differ from cleanup.Operations() (-want +got):\n%s", diff)
	}
}

func TestMemberRoleTrustsOnlyTheFunctionRoleToAssumeIt(t *testing.T) {
	tmpl := loadMemberRole(t)
	trust := memberStatements(t, memberAt(t, memberRole(t, tmpl), "AssumeRolePolicyDocument"),
		"Sid", "Effect", "Principal", "Action", "Condition")
	if len(trust) != 1 {
		t.Fatalf("%s trust policy has %d statements, want 1", memberRoleID, len(trust))
	}
	s := trust[0]
	if s.Effect != "Allow" {
		t.Errorf("trust statement Effect = %q, want Allow", s.Effect)
	}
	// sts:AssumeRole only: the function passes no session tags, source
	// identity or external ID.
	if diff := cmp.Diff([]string{"sts:AssumeRole"}, s.Actions); diff != "" {
		t.Errorf("trusted actions (-want +got):\n%s", diff)
	}
	// Exactly the function's role: no service, no federated principal, no "*".
	if diff := cmp.Diff(map[string]any{"AWS": ref(functionRoleArnParam)}, s.Principal); diff != "" {
		t.Errorf("trusted principal (-want +got):\n%s", diff)
	}
	wantCondition := map[string]any{"ArnEquals": map[string]any{"aws:PrincipalArn": ref(functionRoleArnParam)}}
	if diff := cmp.Diff(wantCondition, s.IAMCondition); diff != "" {
		t.Errorf("trust condition (-want +got):\n%s", diff)
	}
}

func TestFunctionRoleArnParameterAcceptsOnlyAnIAMRoleARN(t *testing.T) {
	param := memberAt(t, loadMemberRole(t), "Parameters", functionRoleArnParam)
	if got := memberAt(t, param, "Type"); got != "String" {
		t.Errorf("%s Type = %v, want String", functionRoleArnParam, got)
	}
	// Required: a default would make the role trust some other function.
	if d, ok := param.(map[string]any)["Default"]; ok {
		t.Errorf("%s has Default %#v; it must be given", functionRoleArnParam, d)
	}
	pattern, ok := memberAt(t, param, "AllowedPattern").(string)
	if !ok {
		t.Fatalf("%s AllowedPattern is not a string", functionRoleArnParam)
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		t.Fatalf("%s AllowedPattern %q: %v", functionRoleArnParam, pattern, err)
	}
	tests := []struct {
		value string
		want  bool
	}{
		{"arn:aws:iam::123456789012:role/apprunner-connection-cleanup-CleanupFunctionRole-AbCdEf123456", true},
		{"arn:aws:iam::123456789012:role/service-role/cleanup", true},
		{"arn:aws-us-gov:iam::123456789012:role/cleanup", true},
		{"arn:aws-cn:iam::123456789012:role/cleanup", true},
		{"", false},
		{"*", false},
		{"123456789012", false},
		{"arn:aws:iam::123456789012:root", false},
		{"arn:aws:iam::123456789012:user/cleanup", false},
		{"arn:aws:iam::*:role/cleanup", false},
		{"arn:aws:iam::123456789012:role/*", false},
		{"arn:aws:sts::123456789012:assumed-role/cleanup/session", false},
		{"arn:aws:iam::123456789012:role/cleanup\narn:aws:iam::123456789012:root", false},
	}
	for _, tt := range tests {
		if got := re.MatchString(tt.value); got != tt.want {
			t.Errorf("%s AllowedPattern %q matches %q = %v, want %v", functionRoleArnParam, pattern, tt.value, got, tt.want)
		}
	}
}

// readmeOffboarding returns the "Offboarding an account" section of
// docs/triggers.md, where the README's offboarding documentation lives.
func readmeOffboarding(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatalf("read %s: %v", readmePath, err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Offboarding an account\n")
	if !ok {
		t.Fatalf("%s has no section \"## Offboarding an account\"", readmePath)
	}
	if i := regexp.MustCompile(`(?m)^#{2,3} `).FindStringIndex(section); i != nil {
		section = section[:i[0]]
	}
	return section
}

func TestMemberRoleNameIsTheParameterWhoseDefaultTheREADMEUses(t *testing.T) {
	tmpl := loadMemberRole(t)
	if diff := cmp.Diff(ref(memberRoleNameParam), memberAt(t, memberRole(t, tmpl), "RoleName")); diff != "" {
		t.Errorf("%s RoleName (-want +got):\n%s", memberRoleID, diff)
	}
	if got := memberAt(t, tmpl, "Parameters", memberRoleNameParam, "Default"); got != memberRoleDefaultName {
		t.Errorf("Parameters.%s.Default = %#v, want %q", memberRoleNameParam, got, memberRoleDefaultName)
	}
	// The README's offboard requests name the role a default deployment creates.
	roles := regexp.MustCompile(`arn:aws[a-z-]*:iam::[0-9<>a-z ]+:role/([\w+=.@-]+)`).FindAllStringSubmatch(readmeOffboarding(t), -1)
	if len(roles) == 0 {
		t.Fatalf("%s: \"Offboarding an account\" names no role ARN", readmePath)
	}
	for _, r := range roles {
		if r[1] != memberRoleDefaultName {
			t.Errorf("%s: \"Offboarding an account\" names %s, but member-role.yaml creates role/%s by default", readmePath, r[0], memberRoleDefaultName)
		}
	}
	wantOutputs := map[string]any{
		"RoleArn":  getAtt(memberRoleID, "Arn"),
		"RoleName": ref(memberRoleID),
	}
	for name, want := range wantOutputs {
		if diff := cmp.Diff(want, memberAt(t, tmpl, "Outputs", name, "Value")); diff != "" {
			t.Errorf("Outputs.%s.Value (-want +got):\n%s", name, diff)
		}
	}
}

func TestMemberRoleTemplateCreatesOnlyTheRoleAndItsProtection(t *testing.T) {
	tmpl := loadMemberRole(t)
	// Plain CloudFormation: no SAM transform for StackSets to expand.
	if tr, ok := tmpl["Transform"]; ok {
		t.Errorf("%s has Transform %v; it is plain CloudFormation", memberRolePath, tr)
	}
	resources, ok := memberAt(t, tmpl, "Resources").(map[string]any)
	if !ok {
		t.Fatalf("%s: Resources is not a mapping", memberRolePath)
	}
	var ids []string
	for id := range resources {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	// The role, and the Deny that only a JSON document can express.
	if diff := cmp.Diff([]string{memberRoleID, memberProtectionID}, ids); diff != "" {
		t.Errorf("resources of %s (-want +got):\n%s", memberRolePath, diff)
	}
	role := memberRole(t, tmpl)
	// Grants only through the inline policy these tests read.
	if arns, ok := role["ManagedPolicyArns"]; ok {
		t.Errorf("%s ManagedPolicyArns = %v; grant through the inline policy, which these tests check", memberRoleID, arns)
	}
	if got := number(t, memberAt(t, role, "MaxSessionDuration")); got != 3600 {
		t.Errorf("%s MaxSessionDuration = %d, want 3600", memberRoleID, got)
	}
	if _, ok := role["Description"].(string); !ok {
		t.Errorf("%s has no Description", memberRoleID)
	}
}

func TestMemberRolePermissionsBoundaryIsOptional(t *testing.T) {
	tmpl := loadMemberRole(t)
	if got := memberAt(t, tmpl, "Parameters", "PermissionsBoundaryPolicyName", "Default"); got != "" {
		t.Errorf("Parameters.PermissionsBoundaryPolicyName.Default = %#v, want \"\" (no boundary)", got)
	}
	want := map[string]any{"Fn::If": []any{
		"HasPermissionsBoundary",
		map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/${PermissionsBoundaryPolicyName}"},
		ref("AWS::NoValue"),
	}}
	if diff := cmp.Diff(want, memberAt(t, memberRole(t, tmpl), "PermissionsBoundary")); diff != "" {
		t.Errorf("%s PermissionsBoundary (-want +got):\n%s", memberRoleID, diff)
	}
	wantCondition := map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{ref("PermissionsBoundaryPolicyName"), ""}}}}
	if diff := cmp.Diff(wantCondition, memberAt(t, tmpl, "Conditions", "HasPermissionsBoundary")); diff != "" {
		t.Errorf("Conditions.HasPermissionsBoundary (-want +got):\n%s", diff)
	}
}

func TestMakeValidateLintsTheMemberRole(t *testing.T) {
	makefile, err := os.ReadFile(makefilePath)
	if err != nil {
		t.Fatalf("read Makefile: %v", err)
	}
	_, recipe, ok := strings.Cut(string(makefile), "\nvalidate:")
	if !ok {
		t.Fatalf("%s has no validate target", makefilePath)
	}
	if i := regexp.MustCompile(`\n[^\t]`).FindStringIndex(recipe); i != nil {
		recipe = recipe[:i[0]]
	}
	if !regexp.MustCompile(`(?m)^\tcfn-lint .*\bmember-role\.yaml\b`).MatchString(recipe) {
		t.Errorf("the validate recipe does not run cfn-lint on member-role.yaml:\n%s", recipe)
	}
}

// TestMemberRoleReachesOnlyRegionsWithAppRunner: wherever a request or a
// bug sends the function, the member role acts only where App Runner is
// offered, the list the function itself holds offboarding regions to.
func TestMemberRoleReachesOnlyRegionsWithAppRunner(t *testing.T) {
	var found int
	for _, s := range memberPermissions(t, loadMemberRole(t)) {
		if s.Effect != "Deny" {
			continue
		}
		found++
		var regions []any
		for _, r := range request.AppRunnerRegions("aws") {
			regions = append(regions, r)
		}
		want := statement{
			Sid:          memberRegionDenySid,
			Effect:       "Deny",
			Actions:      []string{"apprunner:*"},
			Resource:     "*",
			IAMCondition: map[string]any{"StringNotEquals": map[string]any{"aws:RequestedRegion": regions}},
		}
		if diff := cmp.Diff(want, s); diff != "" {
			t.Errorf("the member role's region Deny (-want +got; the regions are cleanup.AppRunnerRegions(\"aws\")):\n%s", diff)
		}
	}
	if found != 1 {
		t.Errorf("%s: %d Deny statements in the member role's inline policy, want 1 for the regions", memberRolePath, found)
	}
}
