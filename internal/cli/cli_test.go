package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/cli"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

const (
	home   = "123456789012" // the emulator's default account: the credentials'
	member = "210987654321" // the demo's other account, reached through a role
	// Demo connections of the home account in us-east-1.
	orphanARN     = "arn:aws:apprunner:us-east-1:123456789012:connection/orphan-bitbucket/6872d629e5c84b3cd049f78da5806829"
	storefrontARN = "arn:aws:apprunner:us-east-1:123456789012:connection/storefront-github/04c55319304afef88d844f848df39fac"
)

// useEmulator starts an emulator loaded with the demo data and points the
// standard AWS configuration at it, App Runner and STS, with static
// credentials of its default account and no shared files.
func useEmulator(t *testing.T) *apprunnerlocal.Server {
	t.Helper()
	emu := apprunnerlocal.New(apprunnerlocal.Options{})
	if err := emu.Load(apprunnerlocal.DemoSeed()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(emu)
	t.Cleanup(hs.Close)
	env := apprunnerlocal.SDKEnv(hs.URL, "us-east-1")
	env["DRY_RUN"], env["ACCOUNT_ID"], env["NO_COLOR"], env["TERM"] = "", "", "", "xterm"
	// Each decision at once, but where a test asks for the idle period.
	env["UNUSED_FOR"] = "0s"
	for k, v := range env {
		t.Setenv(k, v)
	}
	return emu
}

// terminal says which streams of a run are terminals, and what is typed.
type terminal struct {
	stdin, stdout, stderr bool
	typed                 string
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs the command in-process with the test's environment.
func run(t *testing.T, term terminal, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Env{
		Stdin: strings.NewReader(term.typed), Stdout: &stdout, Stderr: &stderr,
		LookupEnv:     os.LookupEnv,
		StdinTerminal: term.stdin, StdoutTerminal: term.stdout, StderrTerminal: term.stderr,
		Version: "v1.2.3",
	})
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func deletions(emu *apprunnerlocal.Server) int { return emu.Stats().Calls["DeleteConnection"] }

func gone(t *testing.T, emu *apprunnerlocal.Server, arn string) bool {
	t.Helper()
	c, ok := emu.Connection(arn)
	if !ok {
		t.Fatalf("no connection %s in the emulator", arn)
	}
	return c.Status == "DELETED"
}

func TestSweepIsADryRunUnlessToldDelete(t *testing.T) {
	tests := []struct {
		name    string
		dryRun  string // DRY_RUN, which the command ignores
		args    []string
		term    terminal
		code    int
		deleted bool
		out     []string // in stdout
		errOut  []string // in stderr
	}{
		{name: "dry run", args: []string{"sweep"}, code: 0,
			out: []string{"TYPE", "orphan-bitbucket", "would_delete", "storefront-github", "in_use", "storefront", "protected", "too_young",
				"Dry run, nothing deleted: 7 would_delete, 2 in_use, 1 protected, 1 too_young (11 connections", "Add --delete to delete."}},
		{name: "DRY_RUN=false does not lift the dry run", dryRun: "false", args: []string{"sweep"}, code: 0,
			out: []string{"Dry run, nothing deleted"}},
		{name: "--delete --yes deletes", args: []string{"sweep", "--delete", "--yes"}, code: 0, deleted: true,
			out: []string{"orphan-bitbucket", "deleted", "7 deleted, 2 in_use"}},
		{name: "--delete --yes deletes whatever DRY_RUN says", dryRun: "true", args: []string{"sweep", "--delete", "--yes"}, deleted: true,
			out: []string{"7 deleted"}},
		{name: "--delete without a terminal refuses", args: []string{"sweep", "--delete"}, code: 1,
			errOut: []string{"standard input is not one: nothing was deleted"}},
		{name: "--delete on a terminal, the account typed", args: []string{"sweep", "--delete"},
			term: terminal{stdin: true, typed: home + "\n"}, code: 0, deleted: true,
			out:    []string{"7 deleted, 2 in_use, 1 protected, 1 too_young"},
			errOut: []string{"Will delete 7 connections in account 123456789012, region us-east-1:", orphanARN, "Type the account ID (123456789012)"}},
		{name: "--delete on a terminal, a wrong answer", args: []string{"sweep", "--delete"},
			term: terminal{stdin: true, typed: "yes\n"}, code: 1,
			errOut: []string{"Type the account ID", "Not confirmed: nothing was deleted."}},
		{name: "--delete on a terminal, no answer", args: []string{"sweep", "--delete"},
			term: terminal{stdin: true}, code: 1, errOut: []string{"Not confirmed"}},
		{name: "policy flags override the configuration", args: []string{"sweep", "--min-age", "0", "--protect-tag", "<none>", "--exclude", "legacy-*"},
			out: []string{"Dry run, nothing deleted: 8 would_delete, 2 in_use, 1 protected", "legacy-github", "matches exclude pattern"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := useEmulator(t)
			t.Setenv("DRY_RUN", tt.dryRun)
			r := run(t, tt.term, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, s := range tt.out {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout does not say %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tt.errOut {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr does not say %q:\n%s", s, r.stderr)
				}
			}
			if got := gone(t, emu, orphanARN); got != tt.deleted {
				t.Errorf("orphan-bitbucket deleted = %v, want %v", got, tt.deleted)
			}
			if !tt.deleted && deletions(emu) > 0 {
				t.Errorf("%d DeleteConnection calls in a run that must delete nothing", deletions(emu))
			}
			if gone(t, emu, storefrontARN) {
				t.Error("a connection in use was deleted")
			}
			if strings.Contains(r.stdout, "\x1b[") {
				t.Error("colour codes in output that is not a terminal")
			}
		})
	}
}

// TestConfirmedDeletionDeletesOnlyWhatTheDryRunShowed: a connection that
// becomes deletable between the dry run and the answer is not deleted.
func TestConfirmedDeletionDeletesOnlyWhatTheDryRunShowed(t *testing.T) {
	emu := useEmulator(t)
	// An old connection added after the dry run: the answer comes
	// from a reader that adds it when the question is read.
	late := &lateConnection{emu: emu, answer: home + "\n"}
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), []string{"sweep", "--delete"}, cli.Env{
		Stdin: late, Stdout: &stdout, Stderr: &stderr, LookupEnv: os.LookupEnv, StdinTerminal: true,
	})
	if code != 0 {
		t.Fatalf("exit status %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if late.arn == "" {
		t.Fatal("the question was never read")
	}
	if gone(t, emu, late.arn) {
		t.Error("a connection the dry run did not show was deleted")
	}
	if !gone(t, emu, orphanARN) {
		t.Error("a connection the dry run showed was not deleted")
	}
}

// TestInterruptAtTheQuestionEndsTheCommandDeletingNothing: Ctrl-C while
// the question waits for an answer ends the command at once, although
// standard input never answers.
func TestInterruptAtTheQuestionEndsTheCommandDeletingNothing(t *testing.T) {
	emu := useEmulator(t)
	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	never, typing := io.Pipe() // nothing is ever typed
	t.Cleanup(func() { typing.Close() })
	var stdout bytes.Buffer
	stderr := &watcher{seen: "Type the account ID", then: interrupt}
	code := cli.Run(ctx, []string{"sweep", "--delete"}, cli.Env{
		Stdin: never, Stdout: &stdout, Stderr: stderr, LookupEnv: os.LookupEnv, StdinTerminal: true,
	})
	if code != cli.ExitError || !strings.Contains(stderr.String(), "Interrupted: nothing was deleted.") {
		t.Errorf("exit status %d, stderr:\n%s", code, stderr.String())
	}
	if n := deletions(emu); n != 0 {
		t.Errorf("%d DeleteConnection calls after an interrupt", n)
	}
}

// watcher is a stderr that calls then once what it was written holds seen.
type watcher struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	seen string
	then func()
	done bool
}

func (w *watcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.done && strings.Contains(w.buf.String(), w.seen) {
		w.done = true
		w.then()
	}
	return len(p), nil
}

func (w *watcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

type lateConnection struct {
	emu     *apprunnerlocal.Server
	account string // default: home
	answer  string
	arn     string
}

func (l *lateConnection) Read(p []byte) (int, error) {
	if l.arn == "" {
		account := l.account
		if account == "" {
			account = home
		}
		arn, err := l.emu.AddConnection(account, "us-east-1", apprunnerlocal.SeedConnection{
			Name: "late-github", ProviderType: "GITHUB", Status: "AVAILABLE", CreatedAgo: 72 * 3600e9,
		})
		if err != nil {
			return 0, err
		}
		l.arn = arn
	}
	n := copy(p, l.answer)
	l.answer = l.answer[n:]
	if n == 0 {
		return 0, os.ErrClosed
	}
	return n, nil
}

// TestConfirmedOffboardingSaysWhatItDidNotShow: an offboarding runs again
// after the question (another account's connections cannot be named to the
// function's engine), so one created meanwhile goes too, and the summary
// says so.
func TestConfirmedOffboardingSaysWhatItDidNotShow(t *testing.T) {
	emu := useEmulator(t)
	late := &lateConnection{emu: emu, account: member, answer: member + "\n"}
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), []string{"offboard", "--account", member, "--regions", "us-east-1", "--delete"}, cli.Env{
		Stdin: late, Stdout: &stdout, Stderr: &stderr, LookupEnv: os.LookupEnv, StdinTerminal: true,
	})
	if code != 0 {
		t.Fatalf("exit status %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if !gone(t, emu, late.arn) {
		t.Error("the offboarding left a connection of the account")
	}
	if want := "2 deleted (2 connections"; !strings.Contains(stdout.String(), want) {
		t.Errorf("stdout does not say %q:\n%s", want, stdout.String())
	}
	if want := "1 deleted connection was not in the dry run"; !strings.Contains(stdout.String(), want) {
		t.Errorf("stdout does not say %q:\n%s", want, stdout.String())
	}
}

func TestOutputJSONIsTheFunctionsReport(t *testing.T) {
	emu := useEmulator(t)
	r := run(t, terminal{stdout: true}, "sweep", "--output", "json")
	if r.code != 0 {
		t.Fatalf("exit status %d: %s", r.code, r.stderr)
	}
	var rep request.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not a report: %v\n%s", err, r.stdout)
	}
	if rep.Action != request.ActionSweep || !rep.DryRun || rep.Counts[request.OutcomeWouldDelete] != 7 || len(rep.Results) != 11 {
		t.Errorf("report: action %s, dry run %v, counts %v, %d results", rep.Action, rep.DryRun, rep.Counts, len(rep.Results))
	}
	if deletions(emu) > 0 {
		t.Error("a dry run deleted")
	}
}

func TestDeleteNamedConnections(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		orphanGo bool
		out      string
	}{
		{"dry run", []string{"delete", orphanARN}, 0, false, "1 would_delete"},
		{"for real, flags after the ARN", []string{"delete", orphanARN, "--delete", "--yes"}, 0, true, "1 deleted"},
		{"one in use is work left", []string{"delete", "--delete", "--yes", orphanARN, storefrontARN}, 2, true,
			"1 deleted, 1 in_use (2 connections"},
		{"another account's is an error", []string{"delete", "arn:aws:apprunner:us-east-1:210987654321:connection/other-conn/0123456789abcdef0123456789abcdef"}, 1, false,
			"invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := useEmulator(t)
			r := run(t, terminal{}, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.out) {
				t.Errorf("exit status %d (want %d), stdout without %q:\n%s\n%s", r.code, tt.code, tt.out, r.stdout, r.stderr)
			}
			if gone(t, emu, orphanARN) != tt.orphanGo {
				t.Errorf("orphan deleted = %v, want %v", !tt.orphanGo, tt.orphanGo)
			}
		})
	}
}

func TestOffboardReachesTheAccountThroughSTS(t *testing.T) {
	emu := useEmulator(t)
	r := run(t, terminal{stderr: true}, "offboard", "--account", member, "--regions", "us-east-1,eu-west-1")
	if r.code != 2 {
		t.Fatalf("dry run: exit status %d, want 2 (a connection in use)\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, s := range []string{"REGION", "eu-west-1", "batch-jobs-bitbucket", "legacy-api-github", "in_use", "2 would_delete, 1 in_use"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout does not say %q:\n%s", s, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "account-regions done") {
		t.Errorf("no progress on a terminal's stderr:\n%q", r.stderr)
	}
	if deletions(emu) > 0 || emu.Stats().Calls["sts:AssumeRole"] == 0 {
		t.Errorf("calls: %v", emu.Stats().Calls)
	}

	r = run(t, terminal{stdin: true, typed: member + "\n"}, "offboard", "--account", member, "--role", "AppRunnerConnectionCleanup",
		"--regions", "us-east-1,eu-west-1", "--delete")
	if r.code != 2 || !strings.Contains(r.stdout, "2 deleted, 1 in_use") {
		t.Fatalf("real run: exit status %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "in account 210987654321, regions us-east-1, eu-west-1") {
		t.Errorf("the question does not name the account and regions:\n%s", r.stderr)
	}
	if n := len(emu.Connections(member, "us-east-1")); n != 0 {
		t.Errorf("%d connections left in the offboarded us-east-1", n)
	}
}

func TestCredentialsOfAnotherAccountStopTheCommand(t *testing.T) {
	emu := useEmulator(t)
	r := run(t, terminal{}, "sweep", "--account", "999999999999", "--delete", "--yes")
	// The flag the operator gave is named, not the function's variable.
	if r.code != 1 || !strings.Contains(r.stderr, "--account 999999999999, but the credentials") ||
		!strings.Contains(r.stderr, "belong to account 123456789012") || strings.Contains(r.stderr, "ACCOUNT_ID") || strings.Contains(r.stderr, "the function") {
		t.Errorf("exit status %d:\n%s", r.code, r.stderr)
	}
	if n := emu.Stats().Calls["ListConnections"]; n > 0 {
		t.Errorf("%d ListConnections calls with credentials of another account", n)
	}
}

// TestMinAgeTakesDays: operators write a week as 7d.
func TestMinAgeTakesDays(t *testing.T) {
	useEmulator(t)
	for _, tt := range []struct {
		age       string
		wouldKeep bool // the demo's fresh-github, an hour old
	}{{"1d", true}, {"0d", false}, {"1d12h", true}, {"30m", false}} {
		t.Run(tt.age, func(t *testing.T) {
			r := run(t, terminal{}, "sweep", "--min-age", tt.age, "--output", "json")
			if r.code != 0 {
				t.Fatalf("exit status %d:\n%s", r.code, r.stderr)
			}
			var rep request.Report
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatal(err)
			}
			seen := false
			for _, res := range rep.Results {
				if res.Name == "fresh-github" {
					seen = true
					if (res.Outcome == request.OutcomeTooYoung) != tt.wouldKeep {
						t.Errorf("--min-age %s: fresh-github %s (%s)", tt.age, res.Outcome, res.Reason)
					}
				}
			}
			if !seen {
				t.Error("no decision on fresh-github")
			}
		})
	}
}

func TestWrongUseSaysTheClosestForm(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"swep"}, "unknown command swep: did you mean sweep?"},
		{[]string{"ofboard"}, "did you mean offboard?"},
		{[]string{"xyz"}, "unknown command xyz\nusage: apprunner-cleanup"},
		{[]string{"sweep", "--dlete"}, "unknown flag --dlete: did you mean --delete?"},
		{[]string{"sweep", "--min-age", "soon"}, `invalid value "soon" for flag -min-age: want a non-negative duration such as 48h, 90m or 7d`},
		{[]string{"sweep", "--yes"}, "give --delete too"},
		{[]string{"sweep", "--output", "yaml"}, "want table or json"},
		{[]string{"sweep", "--concurrency", "0"}, "want 1 to 64"},
		{[]string{"sweep", orphanARN}, "use delete to name connections"},
		{[]string{"delete"}, "delete needs at least one connection ARN\nusage: apprunner-cleanup delete [flags] ARN..."},
		{[]string{"delete", "nope"}, "not an App Runner resource ARN"},
		{[]string{"offboard", "--regions", "us-east-1"}, "offboard needs --account ID"},
		{[]string{"offboard", "--account", member}, "offboard needs --regions"},
		{[]string{"offboard", "--account", member, "--regions", "mars-north-1"}, "mars-north-1"},
		{[]string{"offboard", "--account", member, "--role", "arn:aws:iam::111122223333:role/X", "--regions", "us-east-1"}, "not to --account 210987654321"},
		{[]string{"--region", "us-east-1", "sweep"}, "flags go after the command, e.g. apprunner-cleanup sweep --region us-east-1\n"},
		{[]string{"--profile", "prod"}, "e.g. apprunner-cleanup sweep --profile prod\n"},
		{[]string{"help", "swep"}, "did you mean sweep?"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := run(t, terminal{}, tt.args...)
			if r.code != 1 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit status %d, stderr:\n%s\nwant it to say %q", r.code, r.stderr, tt.want)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"Commands:", "Exit status:", "2  work is left", "Examples:"}},
		{[]string{"help"}, []string{"Commands:"}},
		{[]string{"help", "sweep"}, []string{"Usage:\n  apprunner-cleanup sweep", "Examples:", "-min-age"}},
		{[]string{"delete", "-h"}, []string{"apprunner-cleanup delete [flags] ARN...", "Examples:"}},
		{[]string{"offboard", "--help"}, []string{"--regions R1,R2", "Examples:", "-role", "AppRunnerConnectionCleanup"}},
		{[]string{"version"}, []string{"apprunner-cleanup v1.2.3"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := run(t, terminal{}, tt.args...)
			for _, s := range tt.want {
				if r.code != 0 || !strings.Contains(r.stdout, s) {
					t.Errorf("exit status %d, stdout without %q:\n%s", r.code, s, r.stdout)
				}
			}
		})
	}
}

func TestColourOnlyOnATerminalWithoutNO_COLOR(t *testing.T) {
	tests := []struct {
		name    string
		tty     bool
		noColor string
		colour  bool
	}{
		{"terminal", true, "", true},
		{"terminal with NO_COLOR", true, "1", false},
		{"pipe", false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			useEmulator(t)
			t.Setenv("NO_COLOR", tt.noColor)
			r := run(t, terminal{stdout: tt.tty}, "sweep")
			if got := strings.Contains(r.stdout, "\x1b["); got != tt.colour {
				t.Errorf("colour = %v, want %v:\n%q", got, tt.colour, r.stdout)
			}
		})
	}
}

// TestLogsAreQuietOnATerminalUnlessVerbose: the table says what the
// decision lines would; -v adds them on standard error.
func TestLogsAreQuietOnATerminalUnlessVerbose(t *testing.T) {
	tests := []struct {
		args []string
		logs bool
	}{
		{[]string{"sweep"}, false},
		{[]string{"sweep", "-v"}, true},
		{[]string{"sweep", "--verbose"}, true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			useEmulator(t)
			r := run(t, terminal{stdout: true, stderr: true}, tt.args...)
			if got := strings.Contains(r.stderr, "msg=decision") || strings.Contains(r.stderr, `"msg":"decision"`); got != tt.logs {
				t.Errorf("decision logs = %v, want %v:\n%s", got, tt.logs, r.stderr)
			}
		})
	}
}

// TestSweepShowsServicesDescribedOnATerminal: on a terminal, sweep and
// delete count the services their usage index has described out of those
// listed, ending with every live one, on a line cleared at the end; with
// no terminal, standard error stays clean.
func TestSweepShowsServicesDescribedOnATerminal(t *testing.T) {
	tests := []struct {
		name string
		args []string
		tty  bool
	}{
		{"sweep on a terminal", []string{"sweep"}, true},
		{"delete on a terminal", []string{"delete", orphanARN}, true},
		{"sweep to a pipe", []string{"sweep"}, false},
		{"delete to a pipe", []string{"delete", orphanARN}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := useEmulator(t)
			live := len(emu.Services(home, "us-east-1"))
			if live == 0 {
				t.Fatal("the demo has no live service to describe")
			}
			r := run(t, terminal{stderr: tt.tty}, tt.args...)
			if r.code != cli.ExitOK {
				t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			final := fmt.Sprintf("services described %d/%d", live, live)
			if !tt.tty {
				if r.stderr != "" {
					t.Errorf("stderr is not a terminal but got %q", r.stderr)
				}
				return
			}
			if !strings.Contains(r.stderr, final) {
				t.Errorf("progress does not say %q:\n%q", final, r.stderr)
			}
			if !strings.HasSuffix(r.stderr, "\r\x1b[K") {
				t.Errorf("progress line not cleared at the end:\n%q", r.stderr)
			}
		})
	}
}

// TestSweepWaitsForTheIdlePeriod: with --unused-for, a dry run writes no
// mark; --delete on a terminal asks nothing when nothing is to be deleted,
// and marks the free connections instead of deleting them; a named
// deletion with --unused-for marks too, and without it deletes at once.
func TestSweepWaitsForTheIdlePeriod(t *testing.T) {
	emu := useEmulator(t)
	mark := func(arn string) string {
		c, _ := emu.Connection(arn)
		return c.Tags[cleanup.MarkTagKey]
	}
	if r := run(t, terminal{}, "sweep", "--unused-for", "7d"); r.code != 0 || !strings.Contains(r.stdout, "marked") || mark(orphanARN) != "" {
		t.Fatalf("dry run: exit %d, mark %q\n%s%s", r.code, mark(orphanARN), r.stdout, r.stderr)
	}
	r := run(t, terminal{stdin: true, stdout: true, stderr: true}, "sweep", "--delete", "--unused-for", "7d")
	if r.code != 0 || gone(t, emu, orphanARN) || mark(orphanARN) == "" || strings.Contains(r.stderr, "Type the account ID") {
		t.Fatalf("sweep --delete: exit %d, deleted %v, mark %q\n%s%s", r.code, gone(t, emu, orphanARN), mark(orphanARN), r.stdout, r.stderr)
	}
	if r := run(t, terminal{}, "sweep", "--delete", "--yes", "--unused-for", "7d"); r.code != 0 || gone(t, emu, orphanARN) {
		t.Fatalf("a second sweep within the week deleted it: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, terminal{}, "delete", "--delete", "--yes", orphanARN); r.code != 0 || !gone(t, emu, orphanARN) {
		t.Errorf("a named deletion without --unused-for: exit %d, deleted %v\n%s%s", r.code, gone(t, emu, orphanARN), r.stdout, r.stderr)
	}
}

// TestResourceTypesChooseWhatASweepCovers: a sweep covers connections
// unless --resource-types names more; with all, its table shows each
// kind and a revision by number, and a confirmed sweep deletes the free
// ones of every kind it showed and nothing used. A named ARN of any kind
// is taken by delete, whose ARNs say their kinds.
func TestResourceTypesChooseWhatASweepCovers(t *testing.T) {
	emu := useEmulator(t)
	if r := run(t, terminal{}, "sweep"); r.code != 0 || strings.Contains(r.stdout, "vpc-connector") {
		t.Fatalf("sweep: exit %d, want connections only:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := run(t, terminal{}, "sweep", "--resource-types", "all")
	for _, want := range []string{"vpc-connector", "auto-scaling-configuration", "observability-configuration", "storefront-scaling/2", "VPC connector"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("sweep --resource-types all: output lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := run(t, terminal{}, "sweep", "--resource-types", "buckets"); r.code != 1 || !strings.Contains(r.stderr, `unknown resource type "buckets"`) {
		t.Errorf("bad --resource-types: exit %d\n%s", r.code, r.stderr)
	}

	var free, used string
	for _, v := range emu.VPCConnectors("123456789012", "us-east-1") {
		switch v.Name {
		case "legacy-batch-vpc":
			free = v.ARN
		case "storefront-vpc":
			used = v.ARN
		}
	}
	r = run(t, terminal{}, "sweep", "--resource-types", "vpc-connector", "--delete", "--yes")
	if v, _ := emu.VPCConnector(free); r.code != 0 || v.Status != apprunnerlocal.ResourceInactive {
		t.Errorf("confirmed sweep of VPC connectors: exit %d, free one %s\n%s%s", r.code, v.Status, r.stdout, r.stderr)
	}
	if v, _ := emu.VPCConnector(used); v.Status != apprunnerlocal.ResourceActive {
		t.Errorf("the used VPC connector is %s", v.Status)
	}
	if r := run(t, terminal{}, "delete", used); r.code != 2 || !strings.Contains(r.stdout, "in_use") {
		t.Errorf("delete of a used VPC connector: exit %d, want 2 and in_use\n%s%s", r.code, r.stdout, r.stderr)
	}
}
