package request

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// MaxARNLength is the longest ARN accepted anywhere: AppRunnerResourceArn's
// maximum length in the App Runner API model, and more than any IAM role
// ARN needs.
const MaxARNLength = 1011

// ARN is a parsed App Runner resource ARN:
// arn:PARTITION:apprunner:REGION:ACCOUNT:RESOURCE/NAME/ID, or
// RESOURCE/NAME/REVISION/ID for the kinds that have revisions (VPC
// connectors, auto scaling and observability configurations).
type ARN struct {
	Partition, Region, Account string
	// Resource is the ARN's resource type: "connection", "service",
	// "vpcconnector", "autoscalingconfiguration" or
	// "observabilityconfiguration".
	Resource string
	Name     string
	// Revision is the revision's number, for the kinds that have them.
	Revision string
	ID       string
}

// String returns the ARN in its canonical form.
func (a ARN) String() string {
	rev := ""
	if a.Revision != "" {
		rev = a.Revision + "/"
	}
	return fmt.Sprintf("arn:%s:apprunner:%s:%s:%s/%s/%s%s", a.Partition, a.Region, a.Account, a.Resource, a.Name, rev, a.ID)
}

// Kind is the kind of leftover the ARN names, or "" for a service's.
func (a ARN) Kind() Kind {
	for _, k := range Kinds() {
		if k.ARNResource() == a.Resource {
			return k
		}
	}
	return ""
}

// maxServiceNameLength is the API model's ServiceName length.
const maxServiceNameLength = 40

// ParseConnectionARN checks that s is an App Runner connection ARN and
// returns its parts. The error says what is wrong in words a person can act on.
func ParseConnectionARN(s string) (ARN, error) {
	return ParseKindARN(s, KindConnection)
}

// ParseKindARN checks that s is the ARN of an App Runner resource of kind
// k.
func ParseKindARN(s string, k Kind) (ARN, error) {
	return parseAppRunnerARN(s, k.ARNResource(), k.maxNameLength(), k.revised())
}

// ParseResourceARN checks that s is the ARN of a kind of leftover the
// function cleans up (see Kinds); the ARN says which.
func ParseResourceARN(s string) (ARN, error) {
	a, err := arn.Parse(s)
	if err == nil {
		resource, _, _ := strings.Cut(a.Resource, "/")
		for _, k := range Kinds() {
			if k.ARNResource() == resource {
				return ParseKindARN(s, k)
			}
		}
		if a.Service == "apprunner" {
			return ARN{}, fmt.Errorf("ARN of an App Runner %s, not a connection, VPC connector, auto scaling or observability configuration", resource)
		}
	}
	// Not an ARN, or another service's: the connection's error says
	// what is wrong, in the words every caller has known.
	return ParseConnectionARN(s)
}

// ParseServiceARN checks that s is an App Runner service ARN.
func ParseServiceARN(s string) (ARN, error) {
	return parseAppRunnerARN(s, "service", maxServiceNameLength, false)
}

func parseAppRunnerARN(s, resource string, maxName int, revised bool) (ARN, error) {
	form := resource + "/NAME/ID"
	if revised {
		form = resource + "/NAME/REVISION/ID"
	}
	want := "arn:aws:apprunner:REGION:ACCOUNT:" + form
	a, err := parseARN(s, resource, want)
	if err != nil {
		return ARN{}, err
	}
	if a.Service != "apprunner" {
		return ARN{}, fmt.Errorf("ARN of service %q, not apprunner", a.Service)
	}
	if !IsRegion(a.Region) {
		return ARN{}, fmt.Errorf("invalid region %q", a.Region)
	}
	fields := strings.Split(a.Resource, "/")
	if fields[0] != resource {
		return ARN{}, fmt.Errorf("ARN of an App Runner %s, not a %s", fields[0], resource)
	}
	n := 3
	if revised {
		n = 4
	}
	if len(fields) != n {
		return ARN{}, fmt.Errorf("%s resource %q: want %s", resource, a.Resource, form)
	}
	out := ARN{Partition: a.Partition, Region: a.Region, Account: a.AccountID, Resource: resource, Name: fields[1], ID: fields[n-1]}
	if revised {
		out.Revision = fields[2]
		if !isRevision(out.Revision) {
			return ARN{}, fmt.Errorf("invalid %s revision %q: want a number from 1", resource, out.Revision)
		}
	}
	if !isResourceName(out.Name, maxName) {
		return ARN{}, fmt.Errorf("invalid %s name %q", resource, out.Name)
	}
	if !isResourceID(out.ID) {
		return ARN{}, fmt.Errorf("invalid %s ID %q: want 32 hexadecimal characters", resource, out.ID)
	}
	return out, nil
}

// isRevision accepts a revision number as App Runner writes it: 1, 2, ...
func isRevision(s string) bool {
	if s == "" || len(s) > 6 || s[0] == '0' || strings.Trim(s, digits) != "" {
		return false
	}
	return true
}

// RoleARN is a parsed IAM role ARN: arn:PARTITION:iam::ACCOUNT:role/PATH/NAME.
type RoleARN struct {
	Partition, Account string
	// Name is the role's name with its path.
	Name string
}

// String returns the ARN in its canonical form.
func (r RoleARN) String() string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", r.Partition, r.Account, r.Name)
}

// ParseRoleARN checks that s is an IAM role ARN, the form offboarding
// requests and OFFBOARD_ROLE_ARNS name roles in.
func ParseRoleARN(s string) (RoleARN, error) {
	const want = "arn:aws:iam::ACCOUNT:role/NAME"
	a, err := parseARN(s, "role", want)
	if err != nil {
		return RoleARN{}, err
	}
	name, ok := strings.CutPrefix(a.Resource, "role/")
	if a.Service != "iam" || a.Region != "" || !ok || !isRoleName(name) {
		return RoleARN{}, fmt.Errorf("not an IAM role ARN (%s)", want)
	}
	return RoleARN{Partition: a.Partition, Account: a.AccountID, Name: name}, nil
}

// parseARN parses s with the SDK's parser and checks the parts every ARN
// here shares: length, partition and account.
func parseARN(s, what, want string) (arn.ARN, error) {
	if s == "" {
		return arn.ARN{}, fmt.Errorf("empty %s ARN", what)
	}
	if len(s) > MaxARNLength {
		return arn.ARN{}, fmt.Errorf("%d characters is longer than an ARN can be (%d)", len(s), MaxARNLength)
	}
	a, err := arn.Parse(s)
	if err != nil {
		return arn.ARN{}, fmt.Errorf("not an ARN: want %s", want)
	}
	if !isPartition(a.Partition) {
		return arn.ARN{}, fmt.Errorf("unknown partition %q", a.Partition)
	}
	if !IsAccountID(a.AccountID) {
		return arn.ARN{}, fmt.Errorf("invalid account %q: want 12 digits", a.AccountID)
	}
	return a, nil
}

// The checks below are written out rather than as regular expressions:
// they run for every ARN a request names, and compiling expressions at
// package start costs every cold start.

// IsAccountID reports whether s is a 12-digit AWS account ID.
func IsAccountID(s string) bool {
	return len(s) == 12 && strings.Trim(s, "0123456789") == ""
}

// IsOUID reports whether s is an organizational unit ID, as the
// Organizations API model's pattern says: ou-, 4 to 32 lower-case letters
// or digits (the root's), a hyphen, 8 to 32 more.
func IsOUID(s string) bool {
	rest, ok := strings.CutPrefix(s, "ou-")
	root, id, ok2 := strings.Cut(rest, "-")
	return ok && ok2 && len(root) >= 4 && len(root) <= 32 && len(id) >= 8 && len(id) <= 32 &&
		strings.Trim(root, lowercase+digits) == "" && strings.Trim(id, lowercase+digits) == ""
}

// isPartition accepts aws, aws-cn, aws-us-gov, aws-iso-b...
func isPartition(s string) bool {
	words := strings.Split(s, "-")
	if words[0] != "aws" {
		return false
	}
	for _, w := range words[1:] {
		if w == "" || strings.Trim(w, lowercase) != "" {
			return false
		}
	}
	return true
}

// IsRegion accepts names such as us-east-1 and us-gov-west-1: two letters,
// one or more words, and a number.
func IsRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts[0]) != 2 || strings.Trim(parts[0], lowercase) != "" {
		return false
	}
	for _, w := range parts[1 : len(parts)-1] {
		if w == "" || strings.Trim(w, lowercase) != "" {
			return false
		}
	}
	n := parts[len(parts)-1]
	return n != "" && strings.Trim(n, digits) == ""
}

// isResourceName follows the API model's name pattern
// [A-Za-z0-9][A-Za-z0-9\-_]{3,max-1}.
func isResourceName(s string, max int) bool {
	return len(s) >= 4 && len(s) <= max && strings.Trim(s[:1], alnum) == "" && strings.Trim(s, alnum+"-_") == ""
}

// isResourceID accepts App Runner's 32 lower-case hexadecimal characters.
func isResourceID(s string) bool {
	return len(s) == 32 && strings.Trim(s, digits+"abcdef") == ""
}

// isRoleName accepts IAM's role path and name characters.
func isRoleName(s string) bool {
	return len(s) >= 1 && len(s) <= 512 && strings.Trim(s, alnum+"_+=,.@/-") == ""
}

const (
	lowercase = "abcdefghijklmnopqrstuvwxyz"
	digits    = "0123456789"
	alnum     = lowercase + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + digits
)
