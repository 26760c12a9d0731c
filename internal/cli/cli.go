// Package cli is the operator's command, apprunner-cleanup: sweep, delete
// and offboard App Runner connections by hand with the function's engine
// and configuration (internal/function). It parses the command line, loads
// the configuration as the function does and lets flags override it, runs
// a dry run unless told --delete, asks on a terminal before deleting, and
// prints a table for people or the function's JSON report for programs.
//
// Everything the process touches (arguments, standard streams, the
// environment, whether each stream is a terminal) comes in through [Env],
// so tests run the whole command in-process against the local emulator.
package cli

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
)

// Exit statuses, as --help documents them.
const (
	// ExitOK: everything asked was done (for a dry run: decided).
	ExitOK = 0
	// ExitError: wrong use, bad configuration or credentials, a refused
	// or unconfirmed --delete, or an invalid connection.
	ExitError = 1
	// ExitWorkLeft: the run finished but work is left: a connection
	// failed, or one named or offboarded is still in use.
	ExitWorkLeft = 2
)

// Env is the process's outside world.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// LookupEnv reads the environment (os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// StdinTerminal, StdoutTerminal and StderrTerminal say whether each
	// stream is a terminal: questions are asked only when stdin is one,
	// colour is used only when stdout is one, and progress is shown only
	// when stderr is one.
	StdinTerminal, StdoutTerminal, StderrTerminal bool
	// Version is the command's version; empty reads the build information.
	Version string
}

func (e Env) getenv(k string) string {
	if e.LookupEnv == nil {
		return ""
	}
	v, _ := e.LookupEnv(k)
	return v
}

const name = "apprunner-cleanup"

var commands = []string{"sweep", "delete", "offboard", "version", "help"}

const usageLine = "usage: " + name + " sweep|delete|offboard|version|help [flags]; " + name + " help COMMAND for more"

const topHelp = `apprunner-cleanup deletes AWS App Runner connections that no service uses,
with the cleanup function's engine and configuration. It is a dry run unless
told --delete.

Usage:
  apprunner-cleanup COMMAND [flags]

Commands:
  sweep      decide on every connection of the account and region
  delete     decide on the connections named by ARN
  offboard   remove every connection of an account, in the given regions, through a role
  version    print the version
  help       print the help of a command

Common flags (sweep, delete, offboard; see help COMMAND):
  --delete            delete for real; without it nothing is deleted, whatever DRY_RUN says
  --yes               do not ask before deleting (scripts); without it, --delete asks on a
                      terminal and refuses when there is none to ask on
  --region, --profile the AWS region and shared-config profile, over AWS_REGION and AWS_PROFILE
  --account ID        the account the credentials must belong to (default ACCOUNT_ID)
  --min-age, --protect-tag, --include, --exclude, --concurrency
                      the policy, each defaulting to the function's variable
  --output table|json a table and a summary for people, or the function's JSON report
  -v, --verbose       decision logs on standard error (twice: debug, and the metrics record)

Configuration comes from the standard AWS environment and shared files
(credentials, AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_APPRUNNER...), then the
function's variables (MIN_CONNECTION_AGE, PROTECT_TAG_KEY, NAME_INCLUDE,
NAME_EXCLUDE, MAX_CONCURRENCY, ACCOUNT_ID, MEMBER_ROLE_NAME, DEFAULT_REGIONS),
then the flags. The account is the credentials' own.

Exit status:
  0  everything asked was done (for a dry run: decided)
  1  an error: wrong use, configuration, credentials, a refused or unconfirmed
     --delete, or an invalid connection (another account's, say)
  2  work is left: a connection failed, or one named (delete) or offboarded is
     still in use by a service; run again later

Examples:
  apprunner-cleanup sweep --region eu-west-1
  apprunner-cleanup sweep --delete --profile prod
  apprunner-cleanup delete --delete --yes arn:aws:apprunner:us-east-1:123456789012:connection/legacy-github/7c3bb97d87a2b0d482acd89eaad25d3b
  apprunner-cleanup offboard --account 210987654321 --role AppRunnerConnectionCleanup --regions us-east-1,eu-west-1
  apprunner-cleanup sweep --output json | jq '.counts'
`

// Run runs the command line args (without the program name) and returns
// the exit status.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, topHelp)
		return ExitError
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "-help", "--help", "help":
		if cmd == "help" && len(rest) > 0 {
			if _, ok := commandText[rest[0]]; ok {
				fmt.Fprint(env.Stdout, helpFor(rest[0], displayConfig(env)))
				return ExitOK
			}
			if rest[0] == "version" || rest[0] == "help" {
				fmt.Fprint(env.Stdout, topHelp)
				return ExitOK
			}
			return unknownCommand(env, rest[0])
		}
		fmt.Fprint(env.Stdout, topHelp)
		return ExitOK
	case "version", "-version", "--version":
		fmt.Fprintln(env.Stdout, versionLine(env.Version))
		return ExitOK
	case "sweep", "delete", "offboard":
		return runAction(ctx, cmd, rest, env)
	}
	if strings.HasPrefix(cmd, "-") {
		fmt.Fprintf(env.Stderr, "%s: flags go after the command, e.g. %s %s\n%s\n", name, name, strings.Join(commandFirst(args), " "), usageLine)
		return ExitError
	}
	return unknownCommand(env, cmd)
}

func unknownCommand(env Env, cmd string) int {
	msg := fmt.Sprintf("%s: unknown command %s", name, cmd)
	if s := closest(cmd, commands); s != "" {
		msg += fmt.Sprintf(": did you mean %s?", s)
	}
	fmt.Fprintf(env.Stderr, "%s\n%s\n", msg, usageLine)
	return ExitError
}

// versionLine names the version, the commit and the Go release it was
// built with, from the build information when no version was set.
func versionLine(v string) string {
	info, ok := debug.ReadBuildInfo()
	if v == "" && ok {
		v = info.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	line := name + " " + v
	if !ok {
		return line
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if rev != "" {
		line += " commit " + rev[:min(len(rev), 12)] + modified
	}
	return line + " " + info.GoVersion
}

// closest returns the candidate nearest to s by edit distance, if it is
// near enough to be a typo, or "".
func closest(s string, candidates []string) string {
	s = strings.ToLower(s)
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD && d < len(s) {
			best, bestD = c, d
		}
	}
	// A prefix of a candidate ("off" for "offboard") is a typo too.
	if best == "" && len(s) >= 3 {
		for _, c := range candidates {
			if strings.HasPrefix(c, s) {
				return c
			}
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// commandFirst moves the first command of args before the flags that
// precede it, or puts sweep first when args name none.
func commandFirst(args []string) []string {
	i := slices.IndexFunc(args, func(a string) bool { _, ok := commandText[a]; return ok })
	if i < 0 {
		return append([]string{"sweep"}, args...)
	}
	return slices.Concat(args[i:i+1], args[:i], args[i+1:])
}
