package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/apprunner-tools/connection-cleanup/internal/function"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// displayConfig is the configuration whose values the flags show as
// defaults: the environment's, or the code's when the environment is
// invalid (the error is reported when a command runs).
func displayConfig(env Env) function.Config {
	if cfg, err := function.LoadConfig(env.LookupEnv); err == nil {
		return cfg
	}
	cfg, _ := function.LoadConfig(func(string) (string, bool) { return "", false })
	return cfg
}

// runAction runs sweep, delete or offboard.
func runAction(ctx context.Context, cmd string, args []string, env Env) int {
	if env.LookupEnv == nil {
		env.LookupEnv = func(string) (string, bool) { return "", false }
	}
	cfg, cfgErr := function.LoadConfig(env.LookupEnv)
	fs, o := flagSet(cmd, displayConfig(env))
	pos, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(env.Stdout, helpFor(cmd, displayConfig(env)))
		return ExitOK
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, usageError(fs, cmd, err))
		return ExitError
	}
	fail := func(err error) int {
		fmt.Fprintf(env.Stderr, "%s %s: %v\n", name, cmd, err)
		return ExitError
	}
	if cfgErr != nil {
		return fail(cfgErr)
	}
	if err := o.apply(&cfg); err != nil {
		return fail(err)
	}
	o.args = pos
	reqs, err := o.requests(&cfg)
	if err != nil {
		fmt.Fprintln(env.Stderr, usageError(fs, cmd, err))
		return ExitError
	}
	// Refused before anything is asked of AWS: there is no one to ask.
	if o.delete && !o.yes && !env.StdinTerminal {
		return fail(errors.New("--delete asks for confirmation on a terminal, and standard input is not one: " +
			"nothing was deleted; run without --delete to see what would go, then add --yes to delete without a question"))
	}

	stderr := &lockedWriter{w: env.Stderr}
	level := slog.LevelWarn
	switch {
	case o.verbose >= 2:
		level = slog.LevelDebug
	case o.verbose == 1:
		level = slog.LevelInfo
	case env.StderrTerminal:
		level = slog.LevelError // the table says it all
	}
	metrics := io.Discard
	if o.verbose >= 2 {
		metrics = stderr
	}
	deps := function.Deps{
		Logger:      slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
		Metrics:     metrics,
		ForceDryRun: !o.delete,
		DryRunBy:    "no --delete",
	}
	services, scopes := &serviceProgress{}, &scopeProgress{}
	if env.StderrTerminal {
		deps.Progress, deps.ScopesDone = services.set, scopes.set
	}
	if o.region != "" {
		deps.AWSOptions = append(deps.AWSOptions, awsconfig.WithRegion(o.region))
	}
	if o.profile != "" {
		deps.AWSOptions = append(deps.AWSOptions, awsconfig.WithSharedConfigProfile(o.profile))
	}
	app, err := function.New(ctx, cfg, deps)
	if errors.Is(err, function.ErrNoRegion) && o.cmd == "offboard" && o.region == "" {
		// Offboarding reaches its regions through the role; the home
		// region only serves the credentials' own STS call.
		deps.AWSOptions = append(deps.AWSOptions, awsconfig.WithRegion(reqs[0].Regions[0]))
		app, err = function.New(ctx, cfg, deps)
	}
	if err != nil {
		var mismatch *function.AccountMismatchError
		switch {
		case errors.Is(err, function.ErrNoRegion):
			err = fmt.Errorf("%w, or give --region", err)
		case errors.As(err, &mismatch) && o.cmd != "offboard":
			by := "ACCOUNT_ID is " + mismatch.Configured
			if o.account != "" {
				by = "--account " + mismatch.Configured
			}
			err = fmt.Errorf("%s, but the credentials (%s) belong to account %s: the command works in the credentials' own account; "+
				"give other credentials (--profile) or leave the account out", by, mismatch.Principal, mismatch.Actual)
		}
		return fail(err)
	}
	x := &executor{cmd: cmd, app: app, o: o, stderr: stderr, progress: env.StderrTerminal, services: services, scopes: scopes}
	start := time.Now()

	var rep *request.Report
	switch {
	case !o.delete:
		rep = x.run(ctx, reqs, true)
	case o.yes:
		rep = x.run(ctx, reqs, false)
	default:
		dry := x.run(ctx, reqs, true)
		if dry.Counts[request.OutcomeWouldDelete] == 0 {
			// Nothing to delete, so nothing to ask; the idle period's
			// marks the dry run did not write are written.
			rep = dry
			if len(toMark(dry)) > 0 && cmd != "offboard" {
				rep = x.deleteShown(ctx, reqs, dry)
			}
			break
		}
		if !confirm(ctx, env, stderr, dry) {
			if ctx.Err() != nil {
				fmt.Fprintln(stderr, "Interrupted: nothing was deleted.")
				return ExitError
			}
			fmt.Fprintln(stderr, "Not confirmed: nothing was deleted.")
			return ExitError
		}
		rep = x.deleteShown(ctx, reqs, dry)
	}
	status := exitStatus(cmd, rep)
	var note string
	if x.unshown > 0 {
		note = fmt.Sprintf("%s not in the dry run: created since, and offboarding takes every connection.",
			map[bool]string{true: "1 deleted connection was", false: fmt.Sprintf("%d deleted connections were", x.unshown)}[x.unshown == 1])
	}
	if err := write(env, o, rep, time.Since(start), status, note); err != nil {
		return fail(err)
	}
	return status
}

// requests turns the arguments into the engine's checked requests; for
// offboard, the role is allowed in cfg.
func (o *options) requests(cfg *function.Config) ([]request.Request, error) {
	var raws []request.RawRequest
	switch o.cmd {
	case "sweep":
		if len(o.args) > 0 {
			return nil, fmt.Errorf("sweep takes no arguments (got %q): use delete to name connections", o.args)
		}
		raws = append(raws, request.RawRequest{Action: request.ActionSweep})
	case "delete":
		if len(o.args) == 0 {
			return nil, errors.New("delete needs at least one connection ARN")
		}
		raws = append(raws, request.RawRequest{Action: request.ActionDelete, ConnectionARNs: o.args, AfterUnusedFor: o.afterUnusedFor()})
	case "offboard":
		if len(o.args) > 0 {
			return nil, fmt.Errorf("offboard takes no arguments (got %q): name the account with --account and the regions with --regions", o.args)
		}
		regions := splitList(o.regions)
		if len(regions) == 0 {
			return nil, errors.New("offboard needs --regions R1,R2 (or DEFAULT_REGIONS)")
		}
		role, err := o.offboardRole(regions)
		if err != nil {
			return nil, err
		}
		arn := role.String()
		// The operator names the role: that is the decision
		// OFFBOARD_ROLE_ARNS records for the function.
		if !slices.Contains(cfg.OffboardRoles, arn) {
			cfg.OffboardRoles = append(cfg.OffboardRoles, arn)
		}
		raws = append(raws, request.RawRequest{Action: request.ActionOffboard, RoleARN: &arn, Regions: regions, AfterUnusedFor: o.afterUnusedFor()})
	}
	var reqs []request.Request
	for _, raw := range raws {
		req, rejected, err := raw.Check()
		if err != nil {
			return nil, err
		}
		if len(rejected) > 0 {
			var why []string
			for _, r := range rejected {
				why = append(why, fmt.Sprintf("%s: %s", r.Input, r.Reason))
			}
			return nil, errors.New(strings.Join(why, "; "))
		}
		reqs = append(reqs, *req)
	}
	return reqs, nil
}

// executor runs requests through the function's application.
type executor struct {
	cmd      string
	app      *function.App
	o        *options
	stderr   *lockedWriter
	progress bool
	// services is the home engine's usage index as it is built, shown
	// by sweep and delete; scopes the offboarded regions that are done.
	services *serviceProgress
	scopes   *scopeProgress
	// unshown counts connections a confirmed offboarding deleted that
	// its dry run had not shown.
	unshown int
}

// run runs the requests, as dry runs if dryRun, publishes the report
// (decision logs, metrics) and returns it. The dispatcher works on an
// offboarding's regions four at a time; the spinner shows how many are
// done.
func (x *executor) run(ctx context.Context, reqs []request.Request, dryRun bool) *request.Report {
	reqs = slices.Clone(reqs)
	for i := range reqs {
		reqs[i].DryRun = dryRun
	}
	var status func() string
	if x.cmd == "offboard" {
		verb := map[bool]string{true: "deciding on", false: "offboarding"}[dryRun]
		account, regions := reqs[0].Role.Account, len(reqs[0].Regions)
		x.scopes.reset()
		status = func() string {
			return fmt.Sprintf("%s account %s: %d/%d account-regions done", verb, account, x.scopes.done(), regions)
		}
	} else {
		verb := map[bool]string{true: "deciding", false: "deleting"}[dryRun]
		x.services.reset()
		status = func() string { return verb + x.services.String() }
	}
	stop := x.spin(status)
	rep := x.app.Run(ctx, reqs)
	stop()
	x.app.Publish(ctx, "command", rep)
	return rep
}

// deleteShown is the real run after a confirmed dry run. A sweep or a
// deletion deletes only what the dry run showed: the connections it would
// have deleted are named in a deletion, which decides each again with the
// same policy (in use, protection, name patterns), so one a service took
// up meanwhile stays, and one created meanwhile is not touched. An
// offboarding is run again in the regions where the dry run would delete:
// it covers every connection of the account there, since other accounts'
// connections cannot be named to the function's own engine; one created
// since the dry run is decided too, and the summary says how many such
// there were.
func (x *executor) deleteShown(ctx context.Context, reqs []request.Request, dry *request.Report) *request.Report {
	shown := map[string]bool{}
	var arns []string
	for _, r := range dry.Results {
		if r.Outcome == request.OutcomeWouldDelete {
			shown[r.ARN] = true
			arns = append(arns, r.ARN)
		}
	}
	var real *request.Report
	if x.cmd == "offboard" {
		// The regions where the dry run would delete, in the order asked.
		again := slices.Clone(reqs[:1])
		again[0].Regions = slices.DeleteFunc(slices.Clone(again[0].Regions), func(region string) bool {
			for arn := range shown {
				if a, err := request.ParseResourceARN(arn); err == nil && a.Region == region {
					return false
				}
			}
			return true
		})
		real = x.run(ctx, again, false)
	} else {
		var dels []request.Request
		// What the dry run would have marked is marked now: named with the
		// same idle period, each is marked, never deleted, as no mark of
		// it was believed a moment ago.
		if marks := toMark(dry); len(marks) > 0 {
			wait := x.o.unusedFor.String()
			for chunk := range slices.Chunk(marks, request.MaxConnectionARNs) {
				if req, _, err := (request.RawRequest{Action: request.ActionDelete, ConnectionARNs: chunk, AfterUnusedFor: &wait}).Check(); err == nil && req != nil {
					dels = append(dels, *req)
				}
			}
		}
		for chunk := range slices.Chunk(arns, request.MaxConnectionARNs) {
			req, _, err := request.RawRequest{Action: request.ActionDelete, ConnectionARNs: chunk, AfterUnusedFor: x.o.afterUnusedFor()}.Check()
			if err == nil && req != nil {
				dels = append(dels, *req)
			}
		}
		real = x.run(ctx, dels, false)
	}
	// The dry run's other decisions stand; each shown connection takes
	// its real decision, and an offboarded region's are the real run's.
	byARN := map[string]request.Result{}
	for _, r := range real.Results {
		byARN[r.ARN] = r
	}
	out := request.NewReport(nil, false)
	out.Action = real.Action
	out.AddCalls(real)
	out.AddCalls(dry)
	used := map[string]bool{}
	for _, r := range dry.Results {
		if nr, ok := byARN[r.ARN]; ok {
			out.Add(nr)
			used[r.ARN] = true
			continue
		}
		if r.Outcome == request.OutcomeWouldDelete {
			r.Outcome, r.Reason = request.OutcomeFailed, "shown by the dry run, but the real run did not decide it"
		}
		out.Add(r)
	}
	for _, r := range real.Results {
		if !used[r.ARN] {
			out.Add(r)
			if r.Outcome == request.OutcomeDeleted {
				x.unshown++
			}
		}
	}
	return out
}

// serviceProgress is what the engine's progress hook last said: services
// described (or reused) out of those listed so far.
type serviceProgress struct {
	mu               sync.Mutex
	described, total int
	reported         bool
}

func (p *serviceProgress) set(described, listed int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.described, p.total, p.reported = described, listed, true
}

// reset forgets the last run's numbers; the engine makes no call after a
// run returns, so none of them comes late.
func (p *serviceProgress) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.described, p.total, p.reported = 0, 0, false
}

// String is ", services described N/M" once the engine has said anything,
// or "" before.
func (p *serviceProgress) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.reported {
		return ""
	}
	return fmt.Sprintf(", services described %d/%d", p.described, p.total)
}

// scopeProgress counts the accounts and regions of a run that are done.
type scopeProgress struct {
	mu sync.Mutex
	n  int
}

func (p *scopeProgress) set(done, _ int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n = done
}

func (p *scopeProgress) reset() { p.set(0, 0) }

func (p *scopeProgress) done() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// afterUnusedFor is the idle period a delete or an offboard asks for with
// --unused-for, nil when none.
func (o *options) afterUnusedFor() *string {
	if o.unusedFor <= 0 || o.cmd == "sweep" {
		return nil
	}
	d := o.unusedFor.String()
	return &d
}

// toMark lists the connections a dry run reports marked without a tag
// written: those a real run marks.
func toMark(dry *request.Report) []string {
	var arns []string
	for _, r := range dry.Results {
		if r.Outcome == request.OutcomeMarked && strings.Contains(r.Reason, request.NotMarkedYet) {
			arns = append(arns, r.ARN)
		}
	}
	return arns
}
