package deploy

import (
	"fmt"
	"strings"
	"testing"
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
	}
	t.Fatalf("condition operator %s is not evaluated here", op)
	return false
}
