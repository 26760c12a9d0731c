package deploy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// conditionHolds evaluates an IAM Condition element, after the template's
// intrinsics are evaluated, against a request context (key -> value; a key
// missing from ctx is absent from the request), for the operators these
// templates use. Operators and keys are ANDed, the values of one key ORed;
// a negated operator matches an absent key, a positive one does not (IAM
// User Guide, "Condition operators"). ARN values here hold no wildcards,
// so ARN operators compare exactly.
func conditionHolds(t *testing.T, cond any, ctx map[string]string) bool {
	t.Helper()
	blocks, ok := cond.(map[string]any)
	if !ok {
		t.Fatalf("Condition %v is %T, want a mapping", cond, cond)
	}
	for op, block := range blocks {
		keys, ok := block.(map[string]any)
		if !ok {
			t.Fatalf("Condition %s: %v is %T, want a mapping", op, block, block)
		}
		for key, raw := range keys {
			var values []string
			switch v := raw.(type) {
			case []any:
				for _, x := range v {
					values = append(values, fmt.Sprint(x))
				}
			default:
				values = []string{fmt.Sprint(v)}
			}
			got, present := ctx[key]
			if !operatorHolds(t, op, values, got, present) {
				return false
			}
		}
	}
	return true
}

func operatorHolds(t *testing.T, op string, values []string, got string, present bool) bool {
	t.Helper()
	anyEqual := func(fold bool) bool {
		for _, v := range values {
			if v == got || fold && strings.EqualFold(v, got) {
				return true
			}
		}
		return false
	}
	switch op {
	case "Null":
		// "false": the key must be present; "true": absent.
		return values[0] == "true" && !present || values[0] == "false" && present
	case "ArnEquals", "StringEquals", "Bool":
		return present && anyEqual(false)
	case "ArnNotEquals", "StringNotEquals":
		return !present || !anyEqual(false)
	case "StringNotEqualsIgnoreCase":
		return !present || !anyEqual(true)
	case "ForAllValues:StringEquals":
		// Every value of the request's multi-valued key (joined by commas
		// in ctx: no tag key holds one) is among values; true when the
		// request has none.
		if !present {
			return true
		}
		for v := range strings.SplitSeq(got, ",") {
			if !slices.Contains(values, v) {
				return false
			}
		}
		return true
	}
	t.Fatalf("condition operator %s is not evaluated here", op)
	return false
}

// iamRequest is one call as IAM authorizes it: the action, the ARN of the
// resource it names, and the request context (see conditionHolds).
type iamRequest struct {
	action, resource string
	ctx              map[string]string
}

func (r iamRequest) String() string {
	return fmt.Sprintf("%s on %s %v", r.action, r.resource, r.ctx)
}

// evalStatement is one statement of a policy document whose intrinsics are
// evaluated: plain strings only.
type evalStatement struct {
	Sid, Effect        string
	Actions, Resources []string
	Condition          any
}

// applies reports whether s matches req: one of its actions (case aside)
// and one of its resources match, with IAM's wildcards, and its Condition
// holds.
func (s evalStatement) applies(t *testing.T, req iamRequest) bool {
	t.Helper()
	action := slices.ContainsFunc(s.Actions, func(a string) bool {
		return stringLike(strings.ToLower(a), strings.ToLower(req.action))
	})
	resource := slices.ContainsFunc(s.Resources, func(r string) bool { return stringLike(r, req.resource) })
	return action && resource && (s.Condition == nil || conditionHolds(t, s.Condition, req.ctx))
}

// allowed evaluates req against a role's statements as IAM does within one
// account: an explicit Deny wins, else an Allow must match.
func allowed(t *testing.T, stmts []evalStatement, req iamRequest) bool {
	t.Helper()
	var allow bool
	for _, s := range stmts {
		if !s.applies(t, req) {
			continue
		}
		if s.Effect == "Deny" {
			return false
		}
		allow = allow || s.Effect == "Allow"
	}
	return allow
}

// evalDocument returns the statements of a policy document, evaluated in
// env: a mapping, or the JSON string an !Sub writes.
func evalDocument(t *testing.T, env *cfnEnv, doc any) []evalStatement {
	t.Helper()
	doc = env.eval(doc)
	if s, ok := doc.(string); ok {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("policy document is not JSON: %v\n%s", err, s)
		}
		doc = m
	}
	list, ok := at(t, doc, "Statement").([]any)
	if !ok {
		t.Fatalf("policy document %v: Statement is not a list", doc)
	}
	strs := func(v any) []string {
		switch v := v.(type) {
		case nil:
			return nil
		case string:
			return []string{v}
		case []any:
			var out []string
			for _, x := range v {
				out = append(out, fmt.Sprint(x))
			}
			return out
		}
		t.Fatalf("policy element %v is %T, want a string or a list", v, v)
		return nil
	}
	var out []evalStatement
	for _, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			t.Fatalf("policy statement %v is %T, want a mapping", x, x)
		}
		for _, key := range []string{"NotAction", "NotResource"} {
			if _, ok := m[key]; ok {
				t.Fatalf("policy statement %v: %s is not evaluated here", m, key)
			}
		}
		sid, _ := m["Sid"].(string)
		effect, _ := m["Effect"].(string)
		out = append(out, evalStatement{Sid: sid, Effect: effect, Actions: strs(m["Action"]), Resources: strs(m["Resource"]), Condition: m["Condition"]})
	}
	return out
}

// roleEvalStatements returns every statement that governs role roleID of
// tmpl, deployed with params: its inline Policies and the
// AWS::IAM::RolePolicy resources attached to it whose condition holds.
func roleEvalStatements(t *testing.T, tmpl map[string]any, roleID string, params map[string]string) []evalStatement {
	t.Helper()
	env := newCFNEnv(t, tmpl, params)
	var out []evalStatement
	policies, _ := at(t, tmpl, "Resources", roleID, "Properties", "Policies").([]any)
	for _, p := range policies {
		out = append(out, evalDocument(t, env, at(t, p, "PolicyDocument"))...)
	}
	for id, rp := range resourcesOfType(t, tmpl, "AWS::IAM::RolePolicy") {
		if !cmp.Equal(ref(roleID), at(t, rp, "Properties", "RoleName")) {
			continue
		}
		if c, ok := rp["Condition"].(string); ok && !env.condition(c) {
			continue
		}
		stmts := evalDocument(t, env, at(t, rp, "Properties", "PolicyDocument"))
		if len(stmts) == 0 {
			t.Fatalf("%s has no statements", id)
		}
		out = append(out, stmts...)
	}
	return out
}
