package function

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/org"
	"github.com/apprunner-tools/connection-cleanup/internal/report"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
	"github.com/apprunner-tools/connection-cleanup/internal/scopes"
	"github.com/apprunner-tools/connection-cleanup/internal/trigger"
)

// maxAttempts bounds the SDK's adaptive retries of one call (throttling,
// 5xx, transient network errors) before the engine reports it failed.
const maxAttempts = 5

// Deps are the process's outside world, passed in so tests and the command
// mode can redirect them.
type Deps struct {
	// Logger receives decision and summary lines.
	Logger *slog.Logger
	// Metrics receives the EMF records.
	Metrics io.Writer
	// Tracer traces the engine's phases and the AWS calls under them;
	// nil traces nothing.
	Tracer Tracer
	// ForceDryRun makes every request a dry run, whatever it asks;
	// DryRunBy names what forces it (a flag), for the decisions' reasons
	// when DRY_RUN alone would not have.
	ForceDryRun bool
	DryRunBy    string
	// AWSOptions adjust the AWS configuration New loads the standard way,
	// after the environment and shared files are read: an operator's
	// --region or --profile, say.
	AWSOptions []func(*awsconfig.LoadOptions) error
	// Progress, when not nil, follows the home engine's usage index:
	// services described (or reused) out of those listed so far, as
	// cleanup.Config.Progress says. Offboarded scopes' engines do not
	// report: their runs go on at once and would mix their numbers.
	Progress func(described, listed int)
	// ScopesDone, when not nil, is told as each account and region of a
	// run ends how many of its accounts and regions have ended, out of
	// how many.
	ScopesDone func(done, total int)
}

// Tracer traces the engine's phases, and every AWS call of the clients
// built from an AWS configuration it has instrumented.
type Tracer interface {
	cleanup.Tracer
	InstrumentAWS(cfg *aws.Config)
}

// ErrNoRegion is New's error when the AWS configuration names no region.
var ErrNoRegion = errors.New("no AWS region: set AWS_REGION")

// New builds the application. It loads the AWS configuration the standard
// way, so AWS_REGION, credentials and AWS_ENDPOINT_URL_APPRUNNER apply with
// no special code.
func New(ctx context.Context, cfg Config, deps Deps) (*App, error) {
	opts := append([]func(*awsconfig.LoadOptions) error{awsconfig.WithRetryer(func() aws.Retryer {
		return retry.AddWithMaxAttempts(retry.NewAdaptiveMode(), maxAttempts)
	})}, deps.AWSOptions...)
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, ErrNoRegion
	}
	// The credentials' account is asked even when ACCOUNT_ID is set: the
	// engine trusts the configured account to judge every ARN, so
	// credentials of another account must stop the function, not be
	// swept. STS is asked before tracing is added: at start there is no
	// invocation to attach the call to.
	caller, err := callerIdentity(ctx, awsCfg)
	if err != nil {
		return nil, err
	}
	policy := cfg.Policy
	if err := caller.matches(policy.Account, awsCfg.Region); err != nil {
		return nil, err
	}
	policy.Account, policy.Region, policy.Partition = caller.account, awsCfg.Region, caller.partition
	if deps.ForceDryRun && !policy.DryRun {
		policy.DryRun, policy.DryRunBy = true, cmp.Or(deps.DryRunBy, "forced by the caller")
	}
	if policy.ProtectTagKey == "" && deps.Logger != nil {
		deps.Logger.WarnContext(ctx, "tag protection is off (PROTECT_TAG_KEY="+ProtectionOff+"): only name patterns protect connections")
	}
	var tracer cleanup.Tracer
	if deps.Tracer != nil {
		deps.Tracer.InstrumentAWS(&awsCfg)
		tracer = deps.Tracer
	}

	homePolicy := policy
	homePolicy.Progress = deps.Progress
	home, err := cleanup.New(apprunner.NewFromConfig(awsCfg), homePolicy, tracer)
	if err != nil {
		return nil, err
	}
	engines := scopes.New(awsCfg, policy, tracer)
	// Sweeps and offboarding reach different OUs: the offboarding OU is
	// not one of the sweeps', nor the sweep OUs the offboarding's.
	dir := org.NewDirectory(organizations.NewFromConfig(awsCfg), org.Settings{
		Home: policy.Account, SweepOUs: cfg.OrganizationOUs, OffboardOU: cfg.OffboardOU, OffboardHome: cfg.OffboardHome,
	})
	runner := cleanup.NewDispatcher(home, engines.Engine, cfg.OffboardRoles).WithOrganization(cleanup.Organization{
		Home:              cleanup.Scope{Account: policy.Account, Region: policy.Region},
		Partition:         policy.Partition,
		MemberRole:        cfg.MemberRoleName,
		Admit:             dir.Admit,
		ManagementAccount: dir.ManagementAccount,
	}).WithProgress(deps.ScopesDone).WithClock(policy.Now)
	pub := report.New(report.Options{
		Namespace: cfg.MetricsNamespace,
		Logger:    deps.Logger,
		Metrics:   deps.Metrics,
		LogLevel:  cfg.LogLevel,
	})
	app := &App{dispatcher: runner, publisher: publisher{pub: pub, logger: deps.Logger}}
	h := &trigger.Handler{
		Runner:    runner,
		Publisher: app.publisher,
		Options: trigger.Options{
			CustomEventSource: cfg.CustomEventSource, OffboardOUID: cfg.OffboardOU, OffboardDelay: cfg.OffboardDelay, ProgressQuery: cfg.ProgressQuery,
			// Work items are the planner's, and the planner sends them
			// with these credentials: SQS names their principal.
			PlannerPrincipalID: caller.userID,
			OffboardQueueARN:   cfg.OffboardQueueARN,
		},
		Logger: deps.Logger,
	}
	if cfg.QueueURL != "" {
		regions := cfg.DefaultRegions
		if len(regions) == 0 {
			regions = []string{policy.Region}
		}
		planner := org.NewPlanner(dir, sqs.NewFromConfig(awsCfg), cfg.QueueURL, regions)
		planner.DryRun = policy.DryRun
		h.Planner = planner
	}
	app.handler = h
	return app, nil
}

// AccountMismatchError is New's error when the configured account
// (ACCOUNT_ID) is not the credentials' own.
type AccountMismatchError struct {
	Configured, Actual string
	// Principal is the credentials' ARN, as STS names it.
	Principal string
}

func (e *AccountMismatchError) Error() string {
	return fmt.Sprintf("ACCOUNT_ID is %s but the credentials (%s) belong to account %s: "+
		"the function cleans up only the account its credentials reach; fix ACCOUNT_ID or the credentials", e.Configured, e.Principal, e.Actual)
}

// identity is whom the credentials belong to.
type identity struct {
	account, partition, arn string
	// userID is the principal's unique ID (AIDA… for a user, AROA…:SESSION
	// for a role's session), as SQS names a message's sender.
	userID string
}

// callerIdentity asks STS whom the credentials belong to. It needs no IAM
// permission.
func callerIdentity(ctx context.Context, awsCfg aws.Config) (identity, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := sts.NewFromConfig(awsCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return identity{}, fmt.Errorf("find the account of the credentials (STS GetCallerIdentity): %w", err)
	}
	id := identity{account: aws.ToString(out.Account), arn: aws.ToString(out.Arn), userID: aws.ToString(out.UserId)}
	a, err := arn.Parse(id.arn)
	if err != nil {
		return identity{}, fmt.Errorf("STS GetCallerIdentity returned the ARN %q: %w", id.arn, err)
	}
	id.partition = a.Partition
	return id, nil
}

// matches checks that the credentials belong to the configured account
// (when one is configured) and to the region's partition.
func (id identity) matches(account, region string) error {
	if account != "" && account != id.account {
		return &AccountMismatchError{Configured: account, Actual: id.account, Principal: id.arn}
	}
	if p := request.PartitionOf(region); p != id.partition {
		return fmt.Errorf("region %s is in partition %s but the credentials (%s) are of partition %s", region, p, id.arn, id.partition)
	}
	return nil
}

// publisher adapts report.Publisher to the trigger's hook. Reporting must
// not fail an invocation whose work is done, so its error is logged.
type publisher struct {
	pub    *report.Publisher
	logger *slog.Logger
}

func (p publisher) Publish(ctx context.Context, kind string, rep *request.Report) {
	if err := p.pub.Publish(ctx, report.Invocation{Trigger: kind, Report: rep}); err != nil && p.logger != nil {
		p.logger.ErrorContext(ctx, "write metrics", "error", err)
	}
}
