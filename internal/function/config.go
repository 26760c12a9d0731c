// Package function assembles the cleanup function from its configuration:
// the environment it reads, the AWS clients, the engines, the trigger
// handler, reporting and tracing. It is the wiring every command shares:
// cmd/handler (the Lambda function and its one-event command mode) calls
// it and stays a thin main, and an operator's command would call it too.
package function

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/report"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
	"github.com/apprunner-tools/connection-cleanup/internal/trigger"
)

// Config is the function's configuration, read from the environment.
type Config struct {
	// Policy is the engine's configuration: RESOURCE_TYPES (the kinds of
	// resource cleaned up, comma-separated, or "all"; default connection),
	// DRY_RUN, MIN_CONNECTION_AGE, UNUSED_FOR, PROTECT_TAG_KEY, NAME_INCLUDE and NAME_EXCLUDE (comma-separated
	// globs), MAX_CONCURRENCY, USAGE_INDEX_TTL and ACCOUNT_ID (empty: the
	// credentials' account). The region and partition come from the AWS
	// configuration at start.
	Policy cleanup.Config

	MetricsNamespace  string // METRICS_NAMESPACE
	CustomEventSource string // CUSTOM_EVENT_SOURCE
	// OffboardRoles are the IAM roles offboarding requests may name
	// (OFFBOARD_ROLE_ARNS, comma-separated).
	OffboardRoles []string

	// Organization plans: the OUs whose accounts may be reached
	// (ORGANIZATION_OU_IDS; none: no other account), the OU an account is
	// moved into to be offboarded (OFFBOARD_OU_ID), the role assumed in
	// member accounts (MEMBER_ROLE_NAME), the regions of a plan that names
	// none (DEFAULT_REGIONS; default the function's region), and the queue
	// work items are sent to (CLEANUP_QUEUE_URL; empty: no planning).
	OrganizationOUs []string
	OffboardOU      string
	MemberRoleName  string
	DefaultRegions  []string
	QueueURL        string
	// OffboardHome lets the function's own account be offboarded by a
	// plan or a MoveAccount (OFFBOARD_HOME_ACCOUNT=true; default false).
	OffboardHome bool
	// OffboardQueueARN is the queue through which offboarding may be
	// requested (OFFBOARD_QUEUE_ARN; empty: by direct invocation and the
	// MoveAccount rule only).
	OffboardQueueARN string
	// OffboardDelay is how long the work items of an offboarding that a
	// MoveAccount started wait before they run (OFFBOARD_DELAY; default
	// 15m, at most 15m, SQS's longest delay), so that an account moved by
	// mistake can be moved back first.
	OffboardDelay time.Duration
	// ProgressQuery names the stack's saved query of a plan's progress
	// (PLAN_PROGRESS_QUERY), for plan summaries.
	ProgressQuery string
	// LogLevel is Lambda's AWS_LAMBDA_LOG_LEVEL, which the metrics record
	// must match to pass Lambda's log-level filter.
	LogLevel string
}

// Defaults of the configuration. DRY_RUN unset is a dry run, as the SAM
// template's default is: only DRY_RUN=false deletes, so a setting lost on
// the way (a renamed parameter, a hand-made function) never turns a dry
// run into a real one. The operator's command deletes on its own --delete.
const (
	DefaultDryRun = true
	DefaultMinAge = 24 * time.Hour
	// DefaultUnusedFor is the idle period of sweeps: a week, so that a
	// connection freed for a redeploy is never deleted in that window.
	DefaultUnusedFor      = 7 * 24 * time.Hour
	DefaultOffboardDelay  = 15 * time.Minute
	maxOffboardDelay      = 15 * time.Minute
	DefaultProtectTagKey  = "apprunner-cleanup:protect"
	DefaultMaxConcurrency = 8
	DefaultIndexTTL       = time.Minute
	DefaultMemberRoleName = "AppRunnerConnectionCleanup"
	// ProtectionOff is the PROTECT_TAG_KEY value that turns tag protection
	// off. It cannot be a tag key (those allow letters, digits, spaces and
	// _ . : / = + - @), so it never shadows a tag in use; an empty value is
	// an error, because an unset template parameter must not turn
	// protection off without a word.
	ProtectionOff = "<none>"
	// maxTagKeyLength is the longest tag key AWS accepts.
	maxTagKeyLength = 128
)

// LoadConfig reads the configuration with lookup (os.LookupEnv in
// production) and reports every invalid value at once, naming the variable.
func LoadConfig(lookup func(string) (string, bool)) (Config, error) {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	cfg := Config{
		Policy: cleanup.Config{
			Kinds:          []request.Kind{request.KindConnection},
			DryRun:         DefaultDryRun,
			MinAge:         DefaultMinAge,
			UnusedFor:      DefaultUnusedFor,
			ProtectTagKey:  DefaultProtectTagKey,
			MaxConcurrency: DefaultMaxConcurrency,
			IndexTTL:       DefaultIndexTTL,
			NameInclude:    splitList(get("NAME_INCLUDE")),
			NameExclude:    splitList(get("NAME_EXCLUDE")),
			Account:        get("ACCOUNT_ID"),
		},
		MetricsNamespace:  report.DefaultNamespace,
		CustomEventSource: trigger.DefaultCustomEventSource,
		OffboardRoles:     splitList(get("OFFBOARD_ROLE_ARNS")),
		LogLevel:          get("AWS_LAMBDA_LOG_LEVEL"),
		OrganizationOUs:   splitList(get("ORGANIZATION_OU_IDS")),
		OffboardOU:        get("OFFBOARD_OU_ID"),
		MemberRoleName:    DefaultMemberRoleName,
		DefaultRegions:    splitList(get("DEFAULT_REGIONS")),
		QueueURL:          get("CLEANUP_QUEUE_URL"),
		ProgressQuery:     get("PLAN_PROGRESS_QUERY"),
		OffboardQueueARN:  get("OFFBOARD_QUEUE_ARN"),
	}
	policy := &cfg.Policy
	var errs []error
	if v := get("DRY_RUN"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("DRY_RUN=%q: want true or false", v))
		}
		policy.DryRun = b
	}
	if v := get("OFFBOARD_HOME_ACCOUNT"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("OFFBOARD_HOME_ACCOUNT=%q: want true or false", v))
		}
		cfg.OffboardHome = b
	}
	if v := cfg.OffboardQueueARN; v != "" {
		if a, err := arn.Parse(v); err != nil || a.Service != "sqs" || !request.IsAccountID(a.AccountID) || a.Resource == "" {
			errs = append(errs, fmt.Errorf("OFFBOARD_QUEUE_ARN=%q: want an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)", v))
		}
	}
	duration := func(key string, dst *time.Duration) {
		v := get(key)
		if v == "" {
			return
		}
		d, err := request.ParseAge(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", key, v, err))
			return
		}
		*dst = d
	}
	if v := get("RESOURCE_TYPES"); v != "" {
		kinds, err := request.ParseKinds(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("RESOURCE_TYPES=%q: %w", v, err))
		}
		policy.Kinds = kinds
	}
	duration("MIN_CONNECTION_AGE", &policy.MinAge)
	duration("UNUSED_FOR", &policy.UnusedFor)
	if policy.UnusedFor > request.MaxUnusedFor {
		errs = append(errs, fmt.Errorf("UNUSED_FOR=%q: at most 365d", get("UNUSED_FOR")))
	}
	cfg.OffboardDelay = DefaultOffboardDelay
	duration("OFFBOARD_DELAY", &cfg.OffboardDelay)
	if cfg.OffboardDelay > maxOffboardDelay {
		errs = append(errs, fmt.Errorf("OFFBOARD_DELAY=%q: at most 15m, the longest delay SQS gives a message", get("OFFBOARD_DELAY")))
	}
	duration("USAGE_INDEX_TTL", &policy.IndexTTL)
	if v, ok := lookup("PROTECT_TAG_KEY"); ok {
		switch v = strings.TrimSpace(v); {
		case v == ProtectionOff:
			policy.ProtectTagKey = ""
		case v == "":
			errs = append(errs, fmt.Errorf("PROTECT_TAG_KEY is set but empty: a tag key cannot be empty; "+
				"unset it for the default %q, or set it to %s to turn tag protection off", DefaultProtectTagKey, ProtectionOff))
		case v == cleanup.MarkTagKey:
			errs = append(errs, fmt.Errorf("PROTECT_TAG_KEY=%q: that is the idle period's mark, which this function writes itself; choose another key", v))
		case len(v) > maxTagKeyLength || strings.HasPrefix(v, "aws:"):
			errs = append(errs, fmt.Errorf("PROTECT_TAG_KEY=%q: want a tag key of 1 to %d characters not starting with aws: "+
				"(that prefix is AWS's own, so no connection could carry it)", v, maxTagKeyLength))
		default:
			policy.ProtectTagKey = v
		}
	}
	if v := get("MAX_CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 64 {
			errs = append(errs, fmt.Errorf("MAX_CONCURRENCY=%q: want a whole number from 1 to 64", v))
		}
		policy.MaxConcurrency = n
	}
	if v := get("METRICS_NAMESPACE"); v != "" {
		cfg.MetricsNamespace = v
	}
	if v := get("CUSTOM_EVENT_SOURCE"); v != "" {
		cfg.CustomEventSource = v
	}
	if policy.Account != "" && !request.IsAccountID(policy.Account) {
		errs = append(errs, fmt.Errorf("ACCOUNT_ID=%q: want 12 digits", policy.Account))
	}
	for _, r := range cfg.OffboardRoles {
		if _, err := request.ParseRoleARN(r); err != nil {
			errs = append(errs, fmt.Errorf("OFFBOARD_ROLE_ARNS: %q: %w", r, err))
		}
	}
	for _, ou := range append(slices.Clone(cfg.OrganizationOUs), cfg.OffboardOU) {
		if ou != "" && !request.IsOUID(ou) {
			errs = append(errs, fmt.Errorf("ORGANIZATION_OU_IDS/OFFBOARD_OU_ID: %q is not an organizational unit ID (ou-xxxx-xxxxxxxx)", ou))
		}
	}
	if v := get("MEMBER_ROLE_NAME"); v != "" {
		if _, err := request.ParseRoleARN("arn:aws:iam::123456789012:role/" + v); err != nil || strings.Contains(v, "/") {
			errs = append(errs, fmt.Errorf("MEMBER_ROLE_NAME=%q: want an IAM role name", v))
		}
		cfg.MemberRoleName = v
	}
	for _, r := range cfg.DefaultRegions {
		if !request.HasAppRunner(request.PartitionOf(r), r) {
			errs = append(errs, fmt.Errorf("DEFAULT_REGIONS: %q is not a region where App Runner is offered", r))
		}
	}
	for _, g := range append(append([]string(nil), policy.NameInclude...), policy.NameExclude...) {
		if _, err := path.Match(g, ""); err != nil {
			errs = append(errs, fmt.Errorf("NAME_INCLUDE/NAME_EXCLUDE glob %q is malformed", g))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("configuration: %w", err)
	}
	return cfg, nil
}

// splitList parses a comma-separated list, ignoring blanks.
func splitList(s string) []string {
	var out []string
	for _, g := range strings.Split(s, ",") {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, g)
		}
	}
	return out
}
