// Command apprunner-local serves the local App Runner API emulator on a
// loopback address, for demos, manual tests with the AWS CLI and
// benchmarks:
//
//	apprunner-local -demo -addr 127.0.0.1:8792
//	AWS_ENDPOINT_URL_APPRUNNER=http://127.0.0.1:8792 aws apprunner list-connections
//	AWS_ENDPOINT_URL_APPRUNNER=http://127.0.0.1:8792 aws apprunner list-vpc-connectors
//
// The same address answers STS, the read operations of AWS Organizations
// and SQS's SendMessage, SendMessageBatch, GetQueueUrl and
// GetQueueAttributes for the queues named by -queues
// (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL_ORGANIZATIONS,
// AWS_ENDPOINT_URL_SQS).
//
// -rate-limit throttles App Runner operations one by one, and
// Organizations by operation (organizations:ListParents=2:5) or as a
// whole (organizations:*=10:10: ten calls a second in all, whatever the
// operations), refusing with TooManyRequestsException:
//
//	apprunner-local -demo -rate-limit 'organizations:*=10:10'
//
// It prints one line, "apprunner-local listening on http://ADDR", when it is
// ready, and stops cleanly on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "apprunner-local:", err)
		os.Exit(1)
	}
}

// run parses flags (their errors and usage go to stderr), serves until ctx
// ends, then shuts down gracefully.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("apprunner-local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		addr        = fs.String("addr", "127.0.0.1:8792", "address to listen on (port 0 picks a free one)") // fixed-port-ok: the documented default of a manual tool
		seedFile    = fs.String("seed", "", "JSON seed file to load")
		demo        = fs.Bool("demo", false, "load the embedded demo data")
		latency     = fs.Duration("latency", 0, "latency added to every call")
		jitter      = fs.Duration("jitter", 0, "uniformly random extra latency, up to this")
		rateLimits  = fs.String("rate-limit", "", rateLimitUsage)
		faultRate   = fs.Float64("fault-rate", 0, "fraction of calls failing with InternalServiceErrorException")
		faultSeed   = fs.Int64("fault-seed", 0, "seed of the fault and jitter sequences")
		quirk       = fs.Bool("empty-page-quirk", false, "ListServices may return empty pages that carry a NextToken")
		noGuard     = fs.Bool("disable-in-use-guard", false, "let DeleteConnection, DeleteVpcConnector and the configurations' deletions delete what services use")
		deleteDelay = fs.Duration("delete-service-delay", 0, "how long a deleted service stays OPERATION_IN_PROGRESS")
		accounts    = fs.String("accounts", "", "access key to account map: AKID=ACCOUNT,... (others: "+apprunnerlocal.DefaultAccount+")")
		roleNames   = fs.String("assumable-role-names", "", "IAM role names STS AssumeRole grants in the seeded organization's accounts only: NAME,...")
		admins      = fs.String("delegated-administrators", "", "member accounts that may read the organization like its management account: ACCOUNT,...")
		queues      = fs.String("queues", "", "SQS standard queues every account has, addressed as http://ADDR/ACCOUNT/NAME: NAME,...")
		sqsFail     = fs.Int("sqs-fail-messages", 0, "how many of the first messages sent to a queue fail (Failed entries with InternalError)")
		maxMsgSize  = fs.Int("max-message-size", 0, "largest SQS message or batch in bytes (0: 262144)")
		printEnv    = fs.Bool("print-env", false, "once listening, print the export lines that point the AWS SDK, the function and apprunner-cleanup at this emulator")
		region      = fs.String("region", "us-east-1", "the region -print-env exports")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	opts := apprunnerlocal.Options{
		Latency: *latency, Jitter: *jitter, FaultRate: *faultRate, FaultSeed: *faultSeed,
		EmptyPageQuirk: *quirk, DisableInUseGuard: *noGuard, DeleteServiceDelay: *deleteDelay,
		SQSFailMessages: *sqsFail, MaxMessageSize: *maxMsgSize,
	}
	var err error
	if opts.RateLimits, err = parseRateLimits(*rateLimits); err != nil {
		return err
	}
	if opts.Accounts, err = parseAccounts(*accounts); err != nil {
		return err
	}
	if opts.AssumableRoleNames, err = parseList("-assumable-role-names", *roleNames, roleNameRE); err != nil {
		return err
	}
	if opts.DelegatedAdministrators, err = parseList("-delegated-administrators", *admins, accountIDRE); err != nil {
		return err
	}
	if opts.Queues, err = parseList("-queues", *queues, queueNameRE); err != nil {
		return err
	}
	if opts.SQSFailMessages < 0 {
		return fmt.Errorf("-sqs-fail-messages %d: must not be negative", opts.SQSFailMessages)
	}
	if opts.MaxMessageSize != 0 && (opts.MaxMessageSize < 1024 || opts.MaxMessageSize > 1<<20) {
		return fmt.Errorf("-max-message-size %d: must be 0 or from 1024 to 1048576, as SQS allows", opts.MaxMessageSize)
	}
	if opts.FaultRate < 0 || opts.FaultRate > 1 {
		return fmt.Errorf("-fault-rate %v: must be between 0 and 1", opts.FaultRate)
	}
	srv := apprunnerlocal.New(opts)
	if *demo {
		if err := srv.Load(apprunnerlocal.DemoSeed()); err != nil {
			return err
		}
	}
	if *seedFile != "" {
		seed, err := apprunnerlocal.LoadSeedFile(*seedFile)
		if err != nil {
			return err
		}
		if err := srv.Load(seed); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "apprunner-local listening on http://%s\n", ln.Addr())
	if *printEnv {
		writeExports(stdout, "http://"+ln.Addr().String(), *region)
	}

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// rateLimitUsage is -rate-limit's usage text.
const rateLimitUsage = "token buckets: KEY=PERSECOND:BURST,... where KEY is an App Runner operation (ListServices=5:10), " +
	"organizations:OPERATION (organizations:ListParents=2:5) or organizations:* for all Organizations calls together " +
	"(organizations:*=10:10; with an operation's own bucket too, a call needs a token of each); throttled calls fail with ThrottlingException " +
	"(Organizations: TooManyRequestsException)"

// parseRateLimits reads "ListServices=5:10,organizations:*=10:10". A key
// is cut at the first "=" and the rate at the first ":" after it, so the
// colon of an Organizations key stays in the key. A key the emulator
// would not consult is refused: a misspelt one would leave the run
// unthrottled without a word.
func parseRateLimits(s string) (map[string]apprunnerlocal.RateLimit, error) {
	if s == "" {
		return nil, nil
	}
	known := apprunnerlocal.RateLimitKeys()
	out := map[string]apprunnerlocal.RateLimit{}
	for item := range strings.SplitSeq(s, ",") {
		op, spec, ok := strings.Cut(strings.TrimSpace(item), "=")
		rate, burst, ok2 := strings.Cut(spec, ":")
		if !ok || !ok2 || op == "" {
			return nil, fmt.Errorf("-rate-limit %q: want KEY=PERSECOND:BURST", item)
		}
		if !slices.Contains(known, op) {
			return nil, fmt.Errorf("-rate-limit %q: %q is no key of the emulator's; one of %s", item, op, strings.Join(known, ", "))
		}
		perSecond, err := strconv.ParseFloat(rate, 64)
		if err != nil || perSecond < 0 {
			return nil, fmt.Errorf("-rate-limit %q: bad rate %q", item, rate)
		}
		b, err := strconv.Atoi(burst)
		if err != nil || b < 1 {
			return nil, fmt.Errorf("-rate-limit %q: bad burst %q", item, burst)
		}
		out[op] = apprunnerlocal.RateLimit{PerSecond: perSecond, Burst: b}
	}
	return out, nil
}

// Patterns of the list flags' items: IAM role names, account IDs and SQS
// standard queue names.
var (
	roleNameRE  = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)
	queueNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
)

// parseList reads "A,B,C", each item matching re; empty means none.
func parseList(flagName, s string, re *regexp.Regexp) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if !re.MatchString(item) {
			return nil, fmt.Errorf("%s %q: each item must match %s", flagName, item, re)
		}
		out = append(out, item)
	}
	return out, nil
}

// parseAccounts reads "AKID1=111111111111,AKID2=222222222222".
func parseAccounts(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	out := map[string]string{}
	for item := range strings.SplitSeq(s, ",") {
		key, account, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || key == "" || len(account) != 12 || strings.Trim(account, "0123456789") != "" {
			return nil, fmt.Errorf("-accounts %q: want ACCESSKEYID=12-DIGIT-ACCOUNT", item)
		}
		out[key] = account
	}
	return out, nil
}

// writeExports prints, for a shell, the environment that points the AWS
// SDK at the emulator: its endpoints, static credentials, a region, and no
// shared files, so that nothing of a real account is used.
func writeExports(w io.Writer, url, region string) {
	env := apprunnerlocal.SDKEnv(url, region)
	fmt.Fprintln(w, "# In another shell, to run the function or apprunner-cleanup against this emulator:")
	for _, k := range slices.Sorted(maps.Keys(env)) {
		fmt.Fprintf(w, "export %s=%s\n", k, shellQuote(env[k]))
	}
	fmt.Fprintln(w, "# then, e.g.: bin/apprunner-cleanup sweep")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
