package deploy

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The protection tag enforced by IAM as well as by the engine: an explicit
// Deny of each kind's Delete action on the resources of every kind carrying
// the tag, in the function's role and in the member role, for the day the
// code is wrong.

const (
	functionProtectionID = "FunctionRoleProtectionBackstop"
	protectTagCondition  = "HasProtectTag"
	defaultProtectTagKey = "apprunner-cleanup:protect"
)

// protectionDeny is the policy document both Denies must evaluate to, for
// tag key key, on the resources of every kind under prefix (an ARN up to
// its resource part).
func protectionDeny(key, prefix string) map[string]any {
	tag := "aws:ResourceTag/" + key
	var actions, resources []any
	for _, k := range leftoverKinds {
		actions = append(actions, "apprunner:"+k.deleteOp)
		resources = append(resources, prefix+k.kind.ARNResource()+"/*")
	}
	return map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid":      "NeverDeleteProtectedResources",
			"Effect":   "Deny",
			"Action":   actions,
			"Resource": resources,
			"Condition": map[string]any{
				// The tag is present,
				"Null": map[string]any{tag: "false"},
				// and its value is not "false", in any case.
				"StringNotEqualsIgnoreCase": map[string]any{tag: "false"},
			},
		}},
	}
}

func TestProtectionTagIsDeniedInIAM(t *testing.T) {
	tests := []struct {
		name     string
		tmpl     map[string]any
		policyID string
		roleID   string
		prefix   string // for account 123456789012 (cfnEnv's)
	}{
		// Every region and account: the Deny costs nothing where the
		// function's Allow statements grant nothing.
		{"function role", loadTemplate(t), functionProtectionID, "", "arn:aws:apprunner:*:*:"},
		{"member role", loadMemberRole(t), memberProtectionID, memberRoleID, "arn:aws:apprunner:*:123456789012:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			roleID := tt.roleID
			if roleID == "" {
				roleID = functionRoleID(t, tt.tmpl)
			}
			policy, ok := at(t, tt.tmpl, "Resources", tt.policyID).(map[string]any)
			if !ok || policy["Type"] != "AWS::IAM::RolePolicy" {
				t.Fatalf("%s is not an AWS::IAM::RolePolicy", tt.policyID)
			}
			if got := policy["Condition"]; got != protectTagCondition {
				t.Errorf("%s Condition = %v, want %s", tt.policyID, got, protectTagCondition)
			}
			if diff := cmp.Diff(ref(roleID), at(t, policy, "Properties", "RoleName")); diff != "" {
				t.Errorf("%s RoleName (-want +got):\n%s", tt.policyID, diff)
			}
			wantCondition := map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{ref("ProtectTagKey"), "<none>"}}}}
			if diff := cmp.Diff(wantCondition, at(t, tt.tmpl, "Conditions", protectTagCondition)); diff != "" {
				t.Errorf("Conditions.%s (-want +got):\n%s", protectTagCondition, diff)
			}
			if got := at(t, tt.tmpl, "Parameters", "ProtectTagKey", "Default"); got != defaultProtectTagKey {
				t.Errorf("Parameters.ProtectTagKey.Default = %v, want %s", got, defaultProtectTagKey)
			}

			for _, key := range []string{defaultProtectTagKey, "team/keep=yes @a+b_c.d"} {
				env := newCFNEnv(t, tt.tmpl, map[string]string{"ProtectTagKey": key})
				if !env.condition(protectTagCondition) {
					t.Errorf("ProtectTagKey %q: %s is false", key, protectTagCondition)
				}
				doc, ok := env.eval(at(t, policy, "Properties", "PolicyDocument")).(string)
				if !ok {
					t.Fatalf("%s PolicyDocument is not a string (an !Sub of JSON)", tt.policyID)
				}
				var got map[string]any
				if err := json.Unmarshal([]byte(doc), &got); err != nil {
					t.Fatalf("ProtectTagKey %q: %s PolicyDocument is not JSON: %v\n%s", key, tt.policyID, err, doc)
				}
				if diff := cmp.Diff(protectionDeny(key, tt.prefix), got); diff != "" {
					t.Errorf("ProtectTagKey %q: %s PolicyDocument (-want +got):\n%s", key, tt.policyID, diff)
				}

				// The engine's rule (internal/cleanup): a tag with the key
				// protects, unless its value is "false" in any case.
				stmt := got["Statement"].([]any)[0].(map[string]any)
				for value, protects := range map[string]bool{"": true, "true": true, "yes": true, "false": false, "FALSE": false, "False": false, "falsey": true} {
					ctx := map[string]string{"aws:ResourceTag/" + key: value}
					if got := conditionHolds(t, stmt["Condition"], ctx); got != protects {
						t.Errorf("tag %s=%q: Deny applies = %v, want %v", key, value, got, protects)
					}
				}
				if conditionHolds(t, stmt["Condition"], map[string]string{"aws:ResourceTag/other": "true"}) {
					t.Errorf("the Deny applies to a resource without tag %s", key)
				}
			}

			// <none>: the engine protects nothing by tag, and IAM neither.
			if newCFNEnv(t, tt.tmpl, map[string]string{"ProtectTagKey": "<none>"}).condition(protectTagCondition) {
				t.Errorf("ProtectTagKey <none>: %s is true", protectTagCondition)
			}
		})
	}
}

// TestProtectTagKeyFitsInTheDenysJSON: the key is written into a JSON
// string; a quote, a backslash or a control character would break out of it.
func TestProtectTagKeyFitsInTheDenysJSON(t *testing.T) {
	main, member := loadTemplate(t), loadMemberRole(t)
	for _, key := range []string{"AllowedPattern", "MinLength", "MaxLength", "Default"} {
		if got, want := at(t, member, "Parameters", "ProtectTagKey", key), at(t, main, "Parameters", "ProtectTagKey", key); got != want {
			t.Errorf("member-role.yaml ProtectTagKey %s = %#v, template.yaml's = %#v; set both alike", key, got, want)
		}
	}
	pattern, ok := at(t, main, "Parameters", "ProtectTagKey", "AllowedPattern").(string)
	if !ok {
		t.Fatal("Parameters.ProtectTagKey has no AllowedPattern")
	}
	re := regexp.MustCompile(pattern)
	for value, want := range map[string]bool{
		defaultProtectTagKey: true, "<none>": true, "team/keep=yes @a+b_c.d": true, "ÜberSchutz": true,
		`a"b`: false, `a\b`: false, "a\nb": false, "a\tb": false, "": false,
	} {
		if got := re.MatchString(value); got != want {
			t.Errorf("ProtectTagKey AllowedPattern %q matches %q = %v, want %v", pattern, value, got, want)
		}
	}
}
