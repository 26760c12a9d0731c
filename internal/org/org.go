// Package org is the organization as the cleanup function sees it: which
// accounts it may reach, and plans that fan a sweep or offboarding out over
// the cleanup queue, one work item per account and region.
//
// A [Directory] answers, with AWS Organizations, whether an account may be
// reached and which accounts a plan's OUs and accounts come to; a [Planner]
// turns a plan request into work items and sends them to the queue. Both
// depend only on the few calls they make ([Organizations], [Queue]), with
// the SDK's signatures, so the SDK's clients are passed as they are.
package org

import (
	"context"
	"reflect"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Organizations is the AWS Organizations calls org makes.
// *organizations.Client satisfies it.
type Organizations interface {
	DescribeOrganization(ctx context.Context, params *organizations.DescribeOrganizationInput, optFns ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
	DescribeAccount(ctx context.Context, params *organizations.DescribeAccountInput, optFns ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error)
	ListParents(ctx context.Context, params *organizations.ListParentsInput, optFns ...func(*organizations.Options)) (*organizations.ListParentsOutput, error)
	ListAccountsForParent(ctx context.Context, params *organizations.ListAccountsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error)
	ListOrganizationalUnitsForParent(ctx context.Context, params *organizations.ListOrganizationalUnitsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error)
}

// Queue is the SQS call a Planner makes to send work items. *sqs.Client
// satisfies it.
type Queue interface {
	SendMessageBatch(ctx context.Context, params *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

var (
	_ Organizations = (*organizations.Client)(nil)
	_ Queue         = (*sqs.Client)(nil)
)

// Operations returns the names of the Organizations operations org calls,
// sorted. Tests compare them with the IAM policy of the SAM template.
func Operations() []string {
	t := reflect.TypeFor[Organizations]()
	ops := make([]string, 0, t.NumMethod())
	for i := range t.NumMethod() {
		ops = append(ops, t.Method(i).Name)
	}
	slices.Sort(ops)
	return ops
}
