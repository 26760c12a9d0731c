// Package deploy holds the checks on the SAM template (template.yaml at the
// repository root) that cfn-lint cannot make: that the IAM policy grants
// exactly the App Runner operations the engine calls, scoped as tightly as
// each action allows, that sts:AssumeRole reaches only the offboarding roles
// the operator listed and only when there are some, and that the queue, tracing, logging and safety
// settings the function relies on stay in place.
//
// The package has no code of its own; its tests read ../../template.yaml.
package deploy
