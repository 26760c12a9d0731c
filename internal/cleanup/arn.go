package cleanup

import (
	"fmt"
	"regexp"
	"strings"
)

// ConnectionARN is a parsed App Runner connection ARN:
// arn:PARTITION:apprunner:REGION:ACCOUNT:connection/NAME/ID.
type ConnectionARN struct {
	Partition, Region, Account, Name, ID string
}

// String returns the ARN in its canonical form.
func (a ConnectionARN) String() string {
	return fmt.Sprintf("arn:%s:apprunner:%s:%s:connection/%s/%s", a.Partition, a.Region, a.Account, a.Name, a.ID)
}

var (
	partitionRE = regexp.MustCompile(`^aws(-[a-z]+)*$`)
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	accountRE   = regexp.MustCompile(`^\d{12}$`)
	// Names follow ConnectionName in the API model; IDs are App Runner's
	// 32 hexadecimal characters.
	connNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9\-_]{3,31}$`)
	connIDRE   = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// maxARNLength is AppRunnerResourceArn's maximum length in the API model.
const maxARNLength = 1011

// ParseConnectionARN checks that s is an App Runner connection ARN and
// returns its parts. The error says what is wrong in words a person can act on.
func ParseConnectionARN(s string) (ConnectionARN, error) {
	if s == "" {
		return ConnectionARN{}, fmt.Errorf("empty connection ARN")
	}
	if len(s) > maxARNLength {
		return ConnectionARN{}, fmt.Errorf("%d characters is longer than an ARN can be (%d)", len(s), maxARNLength)
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ConnectionARN{}, fmt.Errorf("not an ARN: want arn:aws:apprunner:REGION:ACCOUNT:connection/NAME/ID")
	}
	a := ConnectionARN{Partition: parts[1], Region: parts[3], Account: parts[4]}
	if !partitionRE.MatchString(a.Partition) {
		return ConnectionARN{}, fmt.Errorf("unknown partition %q", a.Partition)
	}
	if parts[2] != "apprunner" {
		return ConnectionARN{}, fmt.Errorf("ARN of service %q, not apprunner", parts[2])
	}
	if !regionRE.MatchString(a.Region) {
		return ConnectionARN{}, fmt.Errorf("invalid region %q", a.Region)
	}
	if !accountRE.MatchString(a.Account) {
		return ConnectionARN{}, fmt.Errorf("invalid account %q: want 12 digits", a.Account)
	}
	resource := strings.Split(parts[5], "/")
	if resource[0] != "connection" {
		return ConnectionARN{}, fmt.Errorf("ARN of an App Runner %s, not a connection", resource[0])
	}
	if len(resource) != 3 {
		return ConnectionARN{}, fmt.Errorf("connection resource %q: want connection/NAME/ID", parts[5])
	}
	a.Name, a.ID = resource[1], resource[2]
	if !connNameRE.MatchString(a.Name) {
		return ConnectionARN{}, fmt.Errorf("invalid connection name %q", a.Name)
	}
	if !connIDRE.MatchString(a.ID) {
		return ConnectionARN{}, fmt.Errorf("invalid connection ID %q: want 32 hexadecimal characters", a.ID)
	}
	return a, nil
}
