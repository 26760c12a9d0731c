// Package deploy holds the checks on the SAM template (template.yaml at the
// repository root) that cfn-lint cannot make: that the IAM policy grants
// exactly the App Runner operations the engine calls, scoped as tightly as
// each action allows, that sts:AssumeRole reaches only the offboarding roles
// the operator listed and only when there are some, and that the queue, tracing, logging and safety
// settings the function relies on stay in place.
//
// They also check who can ask for deletions and with what the function acts
// (access_test.go): custom requests arrive on the stack's own event bus,
// whose policy and the queue's refuse every sender but the requesters the
// operator listed (or, with none listed, principals of other accounts); the
// function runs with the stack's own role, with no managed policies, its SQS
// and CloudWatch Logs actions scoped to its own queues and log group; and
// every service principal let in is bound to its source account and ARN.
// Offboarding has its own queue and its own list of senders
// (offboard_test.go); the dead-letter queues admit no sender but what must
// park messages there (deadletter_test.go); and IAM backs the code's rules:
// the member role is assumed only below the configured OUs, protected
// connections cannot be deleted, and the member role acts only where App
// Runner is offered (protection_test.go, organization_test.go,
// member_role_test.go).
//
// The package has no code of its own; its tests read ../../template.yaml.
package deploy
