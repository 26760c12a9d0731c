package apprunnerlocal

import (
	"regexp"
	"slices"
)

// The inputs of the Organizations operations, checked against the model
// once, where they are decoded (decodeInput), as App Runner's are in
// input.go. Organizations reports a bad input as InvalidInputException with
// a Reason, one failure at a time.

// orgValidator keeps the first failure.
type orgValidator struct {
	err *apiError
}

func (v *orgValidator) fail(reason, format string, args ...any) {
	if v.err == nil {
		v.err = errOrgInput(reason, format, args...)
	}
}

func (v *orgValidator) required(member string, present bool) bool {
	if !present {
		v.fail("INPUT_REQUIRED", "You must specify a value for %s.", member)
	}
	return present
}

// id checks an ID member's length and pattern, if the member is present.
func (v *orgValidator) id(member string, val *string, maxLen int, re *regexp.Regexp) {
	switch {
	case val == nil:
	case len(*val) > maxLen:
		v.fail("MAX_LENGTH_EXCEEDED", "You provided a value that is too long: %s must have at most %d characters.", member, maxLen)
	case !re.MatchString(*val):
		v.fail("INVALID_PATTERN", "You provided a value that does not match the required pattern: %s %q must match %s.", member, *val, re)
	}
}

func (v *orgValidator) requiredID(member string, val *string, maxLen int, re *regexp.Regexp) {
	if v.required(member, val != nil) {
		v.id(member, val, maxLen, re)
	}
}

// Maximum lengths of the model's ID shapes.
const (
	maxParentIDLen  = 100
	maxChildIDLen   = 100
	maxOUIDLen      = 68
	maxAccountIDLen = 12
	maxNextTokenLen = 100000
)

// orgPageInput holds the paging members of the list operations.
type orgPageInput struct {
	MaxResults *int32
	NextToken  *string
}

func (in *orgPageInput) check(v *orgValidator) {
	switch m := in.MaxResults; {
	case m == nil:
	case *m < 1:
		v.fail("MIN_VALUE_EXCEEDED", "You provided a value that is too small: MaxResults must be at least 1.")
	case *m > 20:
		v.fail("MAX_VALUE_EXCEEDED", "You provided a value that is too large: MaxResults must be at most 20.")
	}
	if in.NextToken != nil && len(*in.NextToken) > maxNextTokenLen {
		v.fail("MAX_LENGTH_EXCEEDED", "You provided a value that is too long: NextToken must have at most %d characters.", maxNextTokenLen)
	}
}

// noInput is the input of DescribeOrganization, which takes none.
type noInput struct{}

func (*noInput) validate() *apiError { return nil }

type listRootsInput struct {
	orgPageInput
}

func (in *listRootsInput) validate() *apiError {
	var v orgValidator
	in.check(&v)
	return v.err
}

// parentPageInput is the input of ListOrganizationalUnitsForParent and
// ListAccountsForParent.
type parentPageInput struct {
	ParentId *string
	orgPageInput
}

func (in *parentPageInput) validate() *apiError {
	var v orgValidator
	v.requiredID("ParentId", in.ParentId, maxParentIDLen, orgParentIDRE)
	in.check(&v)
	return v.err
}

type listChildrenInput struct {
	ParentId  *string
	ChildType *string
	orgPageInput
}

// childTypes are the values of the model's ChildType enum.
var childTypes = []string{"ACCOUNT", "ORGANIZATIONAL_UNIT"}

func (in *listChildrenInput) validate() *apiError {
	var v orgValidator
	v.requiredID("ParentId", in.ParentId, maxParentIDLen, orgParentIDRE)
	if v.required("ChildType", in.ChildType != nil) && !slices.Contains(childTypes, *in.ChildType) {
		v.fail("INVALID_ENUM", "You specified an invalid value: ChildType %q must be one of %v.", *in.ChildType, childTypes)
	}
	in.check(&v)
	return v.err
}

type listParentsInput struct {
	ChildId *string
	orgPageInput
}

func (in *listParentsInput) validate() *apiError {
	var v orgValidator
	v.requiredID("ChildId", in.ChildId, maxChildIDLen, orgChildIDRE)
	in.check(&v)
	return v.err
}

type listAccountsInput struct {
	orgPageInput
}

func (in *listAccountsInput) validate() *apiError {
	var v orgValidator
	in.check(&v)
	return v.err
}

type describeAccountInput struct {
	AccountId *string
}

func (in *describeAccountInput) validate() *apiError {
	var v orgValidator
	v.requiredID("AccountId", in.AccountId, maxAccountIDLen, orgAccountIDRE)
	return v.err
}

type describeOrganizationalUnitInput struct {
	OrganizationalUnitId *string
}

func (in *describeOrganizationalUnitInput) validate() *apiError {
	var v orgValidator
	v.requiredID("OrganizationalUnitId", in.OrganizationalUnitId, maxOUIDLen, orgOUIDRE)
	return v.err
}
