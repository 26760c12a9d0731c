package apprunnerlocal

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Patterns of the App Runner model, anchored: the service matches whole
// values.
var (
	connectionNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9\-_]{3,31}$`)
	serviceNameRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-_]{3,39}$`)
	// The model bounds the resource part at 1011 characters; RE2 caps repeat
	// counts at 1000, so the length is checked apart.
	resourceARNRE     = regexp.MustCompile(`^arn:aws(-[\w]+)*:[a-z0-9-\\.]{0,63}:[a-z0-9-\\.]{0,63}:[0-9]{12}:(\w|/|-)+$`)
	roleARNRE         = regexp.MustCompile(`^arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):iam::[0-9]{12}:(role|role\/service-role)\/[\w+=,.@\-/]{1,1000}$`)
	kmsKeyARNRE       = regexp.MustCompile(`^arn:aws(-[\w]+)*:kms:[a-z\-]+-[0-9]{1}:[0-9]{12}:key\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	cpuRE             = regexp.MustCompile(`^(256|512|1024|2048|4096|(0.25|0.5|1|2|4) vCPU)$`)
	memoryRE          = regexp.MustCompile(`^(512|1024|2048|3072|4096|6144|8192|10240|12288|(0.5|1|2|3|4|6|8|10|12) GB)$`)
	imageIdentifierRE = regexp.MustCompile(`^(?:([0-9]{12}.dkr.ecr.[a-z\-]+-[0-9]{1}.amazonaws.com\/((?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)(:([\w\d+\-=._:\/@])+|@([\w\d\:]+))?)|(public\.ecr\.aws\/.+\/((?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)(:([\w\d+\-=._:\/@])+|@([\w\d\:]+))?))$`)
	commandRE         = regexp.MustCompile(`^[^\n\r]+$`)
	idRE              = regexp.MustCompile(`^[0-9a-f]{32}$`)
	accountRE         = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE          = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

var (
	providerTypes      = []string{"GITHUB", "BITBUCKET"}
	connectionStatuses = []string{ConnectionPendingHandshake, ConnectionAvailable, ConnectionError, ConnectionDeleted}
	serviceStatuses    = []string{ServiceCreateFailed, ServiceRunning, ServiceDeleted, ServiceDeleteFailed, ServicePaused, ServiceOperationInProgress}
	runtimes           = []string{"PYTHON_3", "NODEJS_12", "NODEJS_14", "CORRETTO_8", "CORRETTO_11", "NODEJS_16", "GO_1", "DOTNET_6", "PHP_81", "RUBY_31", "PYTHON_311", "NODEJS_18", "NODEJS_22"}
)

// validator collects the first validation failure, worded like the real
// service's "1 validation error detected" messages.
type validator struct {
	errs []string
}

func (v *validator) add(format string, args ...any) {
	v.errs = append(v.errs, fmt.Sprintf(format, args...))
}

func (v *validator) err() *apiError {
	if len(v.errs) == 0 {
		return nil
	}
	return errInvalid("%d validation error(s) detected: %s", len(v.errs), strings.Join(v.errs, "; "))
}

func (v *validator) required(field string, present bool) bool {
	if !present {
		v.add("member %s is required", field)
	}
	return present
}

// str checks length (in characters) and an optional pattern of a present
// value.
func (v *validator) str(field string, val *string, minLen, maxLen int, re *regexp.Regexp) {
	if val == nil {
		return
	}
	n := utf8.RuneCountInString(*val)
	switch {
	case n < minLen:
		v.add("value at '%s' failed to satisfy constraint: member must have length greater than or equal to %d", field, minLen)
	case maxLen > 0 && n > maxLen:
		v.add("value at '%s' failed to satisfy constraint: member must have length less than or equal to %d", field, maxLen)
	case re != nil && !re.MatchString(*val):
		v.add("value '%s' at '%s' failed to satisfy constraint: member must satisfy regular expression pattern: %s", *val, field, re.String())
	}
}

func (v *validator) enum(field string, val *string, allowed []string) {
	if val != nil && !slices.Contains(allowed, *val) {
		v.add("value '%s' at '%s' failed to satisfy constraint: member must satisfy enum value set: [%s]", *val, field, strings.Join(allowed, ", "))
	}
}

func (v *validator) intRange(field string, val *int32, lo, hi int32) {
	if val != nil && (*val < lo || *val > hi) {
		v.add("value '%d' at '%s' failed to satisfy constraint: member must be between %d and %d", *val, field, lo, hi)
	}
}

func (v *validator) arn(field string, val *string) {
	v.str(field, val, 1, 1011, resourceARNRE)
}

// requiredARN checks a required ARN member. Like the real service, it names
// the member as the model spells it when it is missing and in camel case
// when it is malformed.
func (v *validator) requiredARN(member string, val *string) {
	if v.required(member, val != nil) {
		v.arn(strings.ToLower(member[:1])+member[1:], val)
	}
}

func (v *validator) tags(field string, tags []wireTag) {
	for i, t := range tags {
		f := fmt.Sprintf("%s.%d", field, i+1)
		if v.required(f+".member.Key", t.Key != nil) {
			v.tagKey(f+".member.Key", *t.Key)
		}
		v.str(f+".member.Value", t.Value, 0, 256, nil)
	}
}

// tagKey checks the model's ^(?!aws:).+ by hand: RE2 has no lookahead.
func (v *validator) tagKey(field, key string) {
	v.str(field, &key, 1, 128, nil)
	if strings.HasPrefix(key, "aws:") {
		v.add("value '%s' at '%s' failed to satisfy constraint: tag keys must not start with 'aws:'", key, field)
	}
}

// parsedARN is an App Runner resource ARN in the emulator's layout
// arn:aws:apprunner:REGION:ACCOUNT:TYPE/NAME/ID.
type parsedARN struct {
	scope
	kind, name, id string
}

func parseARN(arn string) (parsedARN, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "apprunner" {
		return parsedARN{}, false
	}
	res := strings.Split(parts[5], "/")
	if len(res) != 3 {
		return parsedARN{}, false
	}
	return parsedARN{scope: scope{account: parts[4], region: parts[3]}, kind: res[0], name: res[1], id: res[2]}, true
}

func connectionARN(sc scope, name, id string) string {
	return "arn:aws:apprunner:" + sc.region + ":" + sc.account + ":connection/" + name + "/" + id
}

func serviceARN(sc scope, name, id string) string {
	return "arn:aws:apprunner:" + sc.region + ":" + sc.account + ":service/" + name + "/" + id
}
