package cleanup

import (
	"fmt"
	"regexp"
	"strings"
)

// ARN is a parsed App Runner resource ARN:
// arn:PARTITION:apprunner:REGION:ACCOUNT:RESOURCE/NAME/ID.
type ARN struct {
	Partition, Region, Account string
	Resource                   string // "connection" or "service"
	Name, ID                   string
}

// String returns the ARN in its canonical form.
func (a ARN) String() string {
	return fmt.Sprintf("arn:%s:apprunner:%s:%s:%s/%s/%s", a.Partition, a.Region, a.Account, a.Resource, a.Name, a.ID)
}

var (
	partitionRE = regexp.MustCompile(`^aws(-[a-z]+)*$`)
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	accountRE   = regexp.MustCompile(`^\d{12}$`)
	// Names follow ConnectionName in the API model; IDs are App Runner's
	// 32 hexadecimal characters.
	connNameRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9\-_]{3,31}$`)
	serviceNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9\-_]{3,39}$`)
	idRE          = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// maxARNLength is AppRunnerResourceArn's maximum length in the API model.
const maxARNLength = 1011

// ParseConnectionARN checks that s is an App Runner connection ARN and
// returns its parts. The error says what is wrong in words a person can act on.
func ParseConnectionARN(s string) (ARN, error) {
	return parseARN(s, "connection", connNameRE)
}

// parseServiceARN checks that s is an App Runner service ARN.
func parseServiceARN(s string) (ARN, error) {
	return parseARN(s, "service", serviceNameRE)
}

func parseARN(s, resource string, nameRE *regexp.Regexp) (ARN, error) {
	if s == "" {
		return ARN{}, fmt.Errorf("empty %s ARN", resource)
	}
	if len(s) > maxARNLength {
		return ARN{}, fmt.Errorf("%d characters is longer than an ARN can be (%d)", len(s), maxARNLength)
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ARN{}, fmt.Errorf("not an ARN: want arn:aws:apprunner:REGION:ACCOUNT:%s/NAME/ID", resource)
	}
	a := ARN{Partition: parts[1], Region: parts[3], Account: parts[4]}
	if !partitionRE.MatchString(a.Partition) {
		return ARN{}, fmt.Errorf("unknown partition %q", a.Partition)
	}
	if parts[2] != "apprunner" {
		return ARN{}, fmt.Errorf("ARN of service %q, not apprunner", parts[2])
	}
	if !regionRE.MatchString(a.Region) {
		return ARN{}, fmt.Errorf("invalid region %q", a.Region)
	}
	if !accountRE.MatchString(a.Account) {
		return ARN{}, fmt.Errorf("invalid account %q: want 12 digits", a.Account)
	}
	fields := strings.Split(parts[5], "/")
	if fields[0] != resource {
		return ARN{}, fmt.Errorf("ARN of an App Runner %s, not a %s", fields[0], resource)
	}
	if len(fields) != 3 {
		return ARN{}, fmt.Errorf("%s resource %q: want %s/NAME/ID", resource, parts[5], resource)
	}
	a.Resource, a.Name, a.ID = resource, fields[1], fields[2]
	if !nameRE.MatchString(a.Name) {
		return ARN{}, fmt.Errorf("invalid %s name %q", resource, a.Name)
	}
	if !idRE.MatchString(a.ID) {
		return ARN{}, fmt.Errorf("invalid %s ID %q: want 32 hexadecimal characters", resource, a.ID)
	}
	return a, nil
}
