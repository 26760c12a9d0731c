package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/function"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// commandText is each action's description, usage and examples; help
// COMMAND and COMMAND --help add the flags with their defaults.
var commandText = map[string]string{
	"sweep": `Sweep decides on every connection of the account and region: a connection
no service uses, old enough (--min-age) and not protected (--protect-tag,
--include, --exclude) would be deleted; with --delete it is.

Usage:
  apprunner-cleanup sweep [flags]

Examples:
  apprunner-cleanup sweep --region eu-west-1
  apprunner-cleanup sweep --delete --profile prod --min-age 7d
`,
	"delete": `Delete decides on the connections named by ARN (no minimum age: naming one
asks for it): each one no service uses and not protected would be deleted;
with --delete it is. A connection still in use leaves exit status 2.

Usage:
  apprunner-cleanup delete [flags] ARN...

Examples:
  apprunner-cleanup delete arn:aws:apprunner:us-east-1:123456789012:connection/legacy-github/7c3bb97d87a2b0d482acd89eaad25d3b
  apprunner-cleanup delete --delete --yes ARN1 ARN2
`,
	"offboard": `Offboard removes every connection of an account in the given regions, with
no minimum age (the account is leaving App Runner), reaching it through an
IAM role of that account (the member role; see member-role.yaml). Protected
connections and those still in use stay; those in use leave exit status 2.
Regions are worked on four at a time.

Usage:
  apprunner-cleanup offboard --account ID [--role NAME|ARN] --regions R1,R2 [flags]

Examples:
  apprunner-cleanup offboard --account 210987654321 --regions us-east-1,eu-west-1
  apprunner-cleanup offboard --role arn:aws:iam::210987654321:role/Cleanup --regions eu-west-1 --delete
`,
}

// options are an action's parsed command line.
type options struct {
	cmd              string
	region, profile  string
	account          string
	delete, yes      bool
	output           string
	verbose          verbosity
	minAge           time.Duration
	unusedFor        time.Duration
	protectTag       string
	include, exclude string
	concurrency      int
	role, regions    string
	resourceTypes    string
	args             []string
}

// ageValue is a duration flag that takes days too (request.ParseAge).
type ageValue time.Duration

func (a *ageValue) String() string { return time.Duration(*a).String() }
func (a *ageValue) Set(s string) error {
	d, err := request.ParseAge(s)
	if err != nil {
		return err
	}
	*a = ageValue(d)
	return nil
}

// verbosity counts -v flags.
type verbosity int

func (v *verbosity) String() string   { return strconv.Itoa(int(*v)) }
func (v *verbosity) IsBoolFlag() bool { return true }
func (v *verbosity) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("takes no value; repeat it for more")
	}
	if b {
		*v++
	}
	return nil
}

// flagSet returns the action's flags, with defaults from cfg, and where
// they are parsed into.
func flagSet(cmd string, cfg function.Config) (*flag.FlagSet, *options) {
	o := &options{cmd: cmd}
	fs := flag.NewFlagSet(name+" "+cmd, flag.ContinueOnError)
	fs.BoolVar(&o.delete, "delete", false, "delete for real (default: a dry run, whatever DRY_RUN says)")
	fs.BoolVar(&o.yes, "yes", false, "with --delete, do not ask first (for scripts)")
	fs.StringVar(&o.region, "region", "", "AWS `region` (default AWS_REGION or the profile's)")
	fs.StringVar(&o.profile, "profile", "", "shared-config `profile` (default AWS_PROFILE)")
	accountHelp := "the `account` ID the credentials must belong to (default ACCOUNT_ID)"
	if cmd == "offboard" {
		accountHelp = "the `account` ID to offboard (default: the --role ARN's)"
	}
	fs.StringVar(&o.account, "account", "", accountHelp)
	fs.StringVar(&o.output, "output", "table", "`format` of standard output: table or json (the function's report)")
	fs.Var(&o.verbose, "v", "log decisions to standard error; twice: debug and the metrics record")
	fs.Var(&o.verbose, "verbose", "same as -v")
	if cmd != "offboard" {
		o.minAge = cfg.Policy.MinAge
		fs.Var((*ageValue)(&o.minAge), "min-age", "keep connections younger than this `duration`: 48h, 90m, 7d (sweeps; MIN_CONNECTION_AGE)")
	}
	if cmd == "sweep" {
		o.unusedFor = cfg.Policy.UnusedFor
		fs.Var((*ageValue)(&o.unusedFor), "unused-for", "delete a free connection only once it has stayed free this `duration` since a sweep first marked it: 168h, 7d; 0s at once (UNUSED_FOR)")
	} else {
		fs.Var((*ageValue)(&o.unusedFor), "unused-for", "delete a named connection only once it has stayed free this `duration` since it was first marked (default: at once)")
	}
	if cmd == "delete" {
		// The ARNs say their kinds: naming one asks for it.
		fs.StringVar(&o.resourceTypes, "resource-types", request.KindsAll, "the kinds of resource that may be deleted, comma-separated: connection, vpc-connector, auto-scaling-configuration, observability-configuration, or all")
	} else {
		fs.StringVar(&o.resourceTypes, "resource-types", request.KindsString(cfg.Policy.Kinds), "`kinds` of resource to clean up, comma-separated: connection, vpc-connector, auto-scaling-configuration, observability-configuration, or all (RESOURCE_TYPES)")
	}
	tag := cfg.Policy.ProtectTagKey
	if tag == "" {
		tag = function.ProtectionOff
	}
	fs.StringVar(&o.protectTag, "protect-tag", tag, "a connection with this tag `key` is kept; "+function.ProtectionOff+" turns tag protection off (PROTECT_TAG_KEY)")
	fs.StringVar(&o.include, "include", strings.Join(cfg.Policy.NameInclude, ","), "only names matching one of these comma-separated `globs` may go (NAME_INCLUDE)")
	fs.StringVar(&o.exclude, "exclude", strings.Join(cfg.Policy.NameExclude, ","), "names matching one of these comma-separated `globs` are kept (NAME_EXCLUDE)")
	fs.IntVar(&o.concurrency, "concurrency", cfg.Policy.MaxConcurrency, "App Runner `calls` at once, 1 to 64 (MAX_CONCURRENCY)")
	if cmd == "offboard" {
		fs.StringVar(&o.role, "role", cfg.MemberRoleName, "IAM role `name or ARN` to assume in the account (MEMBER_ROLE_NAME)")
		fs.StringVar(&o.regions, "regions", strings.Join(cfg.DefaultRegions, ","), "comma-separated `regions` to offboard (DEFAULT_REGIONS)")
	}
	fs.SetOutput(new(bytes.Buffer)) // errors and usage are printed by the caller
	fs.Usage = func() {}
	return fs, o
}

// helpFor is the help of an action: its text and its flags.
func helpFor(cmd string, cfg function.Config) string {
	fs, _ := flagSet(cmd, cfg)
	var b bytes.Buffer
	b.WriteString(commandText[cmd])
	if cmd == "delete" {
		b.WriteString("\nFlags (after the command, before or after the ARNs):\n")
	} else {
		b.WriteString("\nFlags (after the command):\n")
	}
	fs.SetOutput(&b)
	fs.PrintDefaults()
	b.WriteString("\nExit status: 0 done, 1 error, 2 work left (see apprunner-cleanup --help).\n")
	return b.String()
}

// parse parses args, flags and arguments mixed: the ARNs of delete may come
// before or after the flags. Arguments after -- are never flags.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var tail, pos []string
	if i := slices.Index(args, "--"); i >= 0 {
		tail, args = args[i+1:], args[:i]
	}
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return append(pos, tail...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// usageError explains a flag parsing error, with the closest flag for an
// unknown one.
func usageError(fs *flag.FlagSet, cmd string, err error) string {
	msg := err.Error()
	if bad, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		bad = strings.TrimLeft(bad, "-")
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		msg = "unknown flag --" + bad
		if s := closest(bad, names); s != "" {
			msg += fmt.Sprintf(": did you mean --%s?", s)
		}
	}
	return fmt.Sprintf("%s %s: %s\nusage: %s %s [flags]%s; %s help %s for more",
		name, cmd, msg, name, cmd, map[string]string{"delete": " ARN...", "offboard": " --account ID --regions R1,R2"}[cmd], name, cmd)
}

// apply overrides the configuration with the flags and checks them.
func (o *options) apply(cfg *function.Config) error {
	var errs []error
	p := &cfg.Policy
	if o.cmd != "offboard" {
		if o.minAge < 0 {
			errs = append(errs, fmt.Errorf("--min-age %s: must not be negative", o.minAge))
		}
		p.MinAge = o.minAge
	}
	if o.unusedFor > request.MaxUnusedFor {
		errs = append(errs, fmt.Errorf("--unused-for %s: at most 365d", o.unusedFor))
	}
	if o.cmd == "sweep" {
		p.UnusedFor = o.unusedFor
	}
	switch tag := strings.TrimSpace(o.protectTag); {
	case tag == function.ProtectionOff:
		p.ProtectTagKey = ""
	case tag == "" || strings.HasPrefix(tag, "aws:") || len(tag) > 128:
		errs = append(errs, fmt.Errorf("--protect-tag %q: want a tag key of 1 to 128 characters not starting with aws:, or %s to turn tag protection off", tag, function.ProtectionOff))
	default:
		p.ProtectTagKey = tag
	}
	if kinds, err := request.ParseKinds(o.resourceTypes); err != nil {
		errs = append(errs, fmt.Errorf("--resource-types %q: %w", o.resourceTypes, err))
	} else {
		p.Kinds = kinds
	}
	p.NameInclude, p.NameExclude = splitList(o.include), splitList(o.exclude)
	for _, g := range append(slices.Clone(p.NameInclude), p.NameExclude...) {
		if _, err := path.Match(g, ""); err != nil {
			errs = append(errs, fmt.Errorf("--include/--exclude glob %q is malformed", g))
		}
	}
	if o.concurrency < 1 || o.concurrency > 64 {
		errs = append(errs, fmt.Errorf("--concurrency %d: want 1 to 64", o.concurrency))
	}
	p.MaxConcurrency = o.concurrency
	if o.output != "table" && o.output != "json" {
		errs = append(errs, fmt.Errorf("--output %q: want table or json", o.output))
	}
	if o.yes && !o.delete {
		errs = append(errs, errors.New("--yes answers the question --delete asks: give --delete too, or neither"))
	}
	if o.cmd != "offboard" && o.account != "" {
		if !request.IsAccountID(o.account) {
			errs = append(errs, fmt.Errorf("--account %q: want 12 digits", o.account))
		}
		p.Account = o.account
	}
	// Only --delete deletes: DRY_RUN, meant for the deployed function,
	// neither forces nor lifts it here.
	p.DryRun = false
	return errors.Join(errs...)
}

// offboardRole is the role ARN an offboard command names, from --role
// (a name or an ARN), --account and the regions' partition.
func (o *options) offboardRole(regions []string) (request.RoleARN, error) {
	role := strings.TrimSpace(o.role)
	if strings.HasPrefix(role, "arn:") {
		r, err := request.ParseRoleARN(role)
		if err != nil {
			return request.RoleARN{}, fmt.Errorf("--role %q: %w", role, err)
		}
		if o.account != "" && o.account != r.Account {
			return request.RoleARN{}, fmt.Errorf("--role %s belongs to account %s, not to --account %s", role, r.Account, o.account)
		}
		return r, nil
	}
	if o.account == "" {
		return request.RoleARN{}, errors.New("offboard needs --account ID (or --role as an ARN)")
	}
	if !request.IsAccountID(o.account) {
		return request.RoleARN{}, fmt.Errorf("--account %q: want 12 digits", o.account)
	}
	if role == "" || strings.Contains(role, ":") {
		return request.RoleARN{}, fmt.Errorf("--role %q: want an IAM role name or ARN", role)
	}
	partition := "aws"
	if len(regions) > 0 {
		partition = request.PartitionOf(regions[0])
	}
	s := fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, o.account, role)
	r, err := request.ParseRoleARN(s)
	if err != nil {
		return request.RoleARN{}, fmt.Errorf("--role %q: %w", role, err)
	}
	return r, nil
}

// splitList parses a comma-separated list, ignoring blanks.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
