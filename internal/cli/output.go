package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// exitStatus is the status a report ends the command with: an invalid
// result is an error no retry fixes; a failed one, or one still in use
// that was named (delete) or offboarded, is work left. A sweep leaves
// connections in use by design.
func exitStatus(cmd string, rep *request.Report) int {
	switch {
	case rep.Counts[request.OutcomeInvalid] > 0:
		return ExitError
	case rep.Counts[request.OutcomeFailed] > 0,
		cmd != "sweep" && rep.Counts[request.OutcomeInUse] > 0:
		return ExitWorkLeft
	}
	return ExitOK
}

// write prints the report: as JSON, or as a table and a summary line.
func write(env Env, o *options, rep *request.Report, took time.Duration, status int, note string) error {
	if o.output == "json" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return fmt.Errorf("encode the report: %w", err)
		}
		_, err = env.Stdout.Write(append(b, '\n'))
		return err
	}
	p := palette{on: env.StdoutTerminal && env.getenv("NO_COLOR") == "" && env.getenv("TERM") != "dumb"}
	var b strings.Builder
	writeTable(&b, p, o.cmd == "offboard", rep)
	b.WriteString(summary(p, rep, took, status, note) + "\n")
	_, err := io.WriteString(env.Stdout, b.String())
	return err
}

// writeTable writes one row per decision, columns padded by hand so that
// colour codes do not upset the alignment.
func writeTable(w io.Writer, p palette, withRegion bool, rep *request.Report) {
	if len(rep.Results) == 0 {
		fmt.Fprintln(w, "Nothing found to decide on.")
		return
	}
	header := []string{"TYPE", "NAME", "OUTCOME", "REASON", "USED BY"}
	if withRegion {
		header = append([]string{"REGION"}, header...)
	}
	rows := [][]string{header}
	for _, r := range rep.Results {
		conn := r.Name
		if conn == "" {
			conn = r.ARN
		} else if a, err := request.ParseResourceARN(r.ARN); err == nil && a.Revision != "" {
			// Revisions of one name are decided each on its own.
			conn += "/" + a.Revision
		}
		var users []string
		for _, u := range r.UsedBy {
			users = append(users, u.ServiceName)
		}
		usedBy := strings.Join(users, ", ")
		if usedBy == "" {
			usedBy = "-"
		}
		// The command, not DRY_RUN, makes the dry run: say only that.
		reason := dryRunBy.ReplaceAllString(r.Reason, "dry run: ")
		kind := string(r.ResourceType)
		if kind == "" {
			kind = "-"
		}
		row := []string{kind, conn, string(r.Outcome), reason, usedBy}
		if withRegion {
			region := "-"
			if a, err := request.ParseResourceARN(r.ARN); err == nil {
				region = a.Region
			}
			row = append([]string{region}, row...)
		}
		rows = append(rows, row)
	}
	widths := make([]int, len(header))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	outcomeCol := slices.Index(header, "OUTCOME")
	for n, row := range rows {
		var line strings.Builder
		for i, c := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			switch {
			case n == 0:
				c = p.bold(c)
			case i == outcomeCol:
				c = p.outcome(request.Outcome(c))
			}
			if i < len(row)-1 {
				c += pad + "  "
			}
			line.WriteString(c)
		}
		fmt.Fprintln(w, line.String())
	}
}

// summary is the one-line summary: the counts that are not zero, and what
// the exit status means.
func summary(p palette, rep *request.Report, took time.Duration, status int, note string) string {
	var parts []string
	for _, o := range request.Outcomes() {
		if n := rep.Counts[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, p.outcome(o)))
		}
	}
	counts := "nothing decided"
	if len(parts) > 0 {
		counts = strings.Join(parts, ", ")
	}
	s := fmt.Sprintf("%s (%s, %s).", counts, kindCounts(rep.Results), took.Round(time.Millisecond))
	if rep.DryRun {
		s = "Dry run, nothing deleted: " + s
		if rep.Counts[request.OutcomeWouldDelete] > 0 {
			s += " Add --delete to delete."
		}
	}
	if note != "" {
		s += " " + note
	}
	switch status {
	case ExitWorkLeft:
		s += " Work is left (exit status 2): run again later."
	case ExitError:
		s += " Invalid input (exit status 1)."
	}
	return s
}

// palette colours text when on.
type palette struct{ on bool }

func (p palette) paint(code, s string) string {
	if !p.on {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p palette) bold(s string) string { return p.paint("1", s) }

func (p palette) outcome(o request.Outcome) string {
	code := map[request.Outcome]string{
		request.OutcomeDeleted: "32", request.OutcomeWouldDelete: "33", request.OutcomeAlreadyDeleted: "2",
		request.OutcomeInUse: "35", request.OutcomeProtected: "36", request.OutcomeTooYoung: "2",
		request.OutcomeMarked:  "34",
		request.OutcomeInvalid: "31", request.OutcomeFailed: "31",
	}[o]
	if code == "" {
		return string(o)
	}
	return p.paint(code, string(o))
}

// dryRunBy matches the start of a dry run's reason, which names what made
// it one: "dry run (no --delete): ", "dry run requested: ".
var dryRunBy = regexp.MustCompile(`^dry run (\([^)]*\)|requested): `)

// confirm shows what the dry run would delete and asks for the account ID.
// An interrupt (Ctrl-C) or the end of standard input while it waits is a
// no, at once: the answer is read beside ctx.
func confirm(ctx context.Context, env Env, stderr io.Writer, dry *request.Report) bool {
	var (
		accounts, regions []string
		shown             []request.Result
		width             int
	)
	for _, r := range dry.Results {
		if r.Outcome != request.OutcomeWouldDelete {
			continue
		}
		shown = append(shown, r)
		width = max(width, utf8.RuneCountInString(r.Name))
		if a, err := request.ParseResourceARN(r.ARN); err == nil {
			if !slices.Contains(accounts, a.Account) {
				accounts = append(accounts, a.Account)
			}
			if !slices.Contains(regions, a.Region) {
				regions = append(regions, a.Region)
			}
		}
	}
	if len(accounts) != 1 {
		fmt.Fprintln(stderr, "The resources to delete do not name one account: nothing was deleted.")
		return false
	}
	account := accounts[0]
	lines := make([]string, 0, len(shown))
	for _, r := range shown {
		lines = append(lines, fmt.Sprintf("  %s  %s", pad(r.Name, width), r.ARN))
	}
	fmt.Fprintf(stderr, "Will delete %s in account %s, %s %s:\n%s\n",
		kindCounts(shown), account, pluralWord(len(regions), "region"), strings.Join(regions, ", "), strings.Join(lines, "\n"))
	fmt.Fprintf(stderr, "Type the account ID (%s) to delete them, anything else to stop: ", account)
	answer := make(chan string, 1)
	go func() {
		// Left behind on an interrupt: the command is about to exit.
		line, _ := bufio.NewReader(env.Stdin).ReadString('\n')
		answer <- line
	}()
	select {
	case line := <-answer:
		return strings.TrimSpace(line) == account
	case <-ctx.Done():
		fmt.Fprintln(stderr)
		return false
	}
}

// kindCounts counts results by resource type, in the order of the kinds
// ("3 connections", "2 connections, 1 VPC connector"); results of no type
// (refused inputs) count as inputs.
func kindCounts(results []request.Result) string {
	counts := map[request.Kind]int{}
	for _, r := range results {
		counts[r.ResourceType]++
	}
	if len(counts) == 0 {
		return "0 connections"
	}
	var parts []string
	for _, k := range request.Kinds() {
		if n := counts[k]; n > 0 {
			parts = append(parts, plural(n, k.Noun()))
		}
	}
	if n := counts[""]; n > 0 {
		parts = append(parts, plural(n, "input"))
	}
	return strings.Join(parts, ", ")
}

// plural is "1 connection", "2 connections".
func plural(n int, noun string) string {
	return fmt.Sprintf("%d %s", n, pluralWord(n, noun))
}

// pluralWord is noun, or its plural unless n is 1.
func pluralWord(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// pad fills s with spaces to width runes.
func pad(s string, width int) string {
	return s + strings.Repeat(" ", max(0, width-utf8.RuneCountInString(s)))
}

// lockedWriter serialises the writes of the logger and the progress line.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// spin shows a progress line on standard error, when it is a terminal,
// until the returned function is called: the line's text from status
// and the time elapsed, redrawn ten times a second, and once more with
// the final status before the line is cleared. A sweep or a deletion
// shows the services its usage index has described out of those listed
// so far; an offboarding counts its account-regions.
func (x *executor) spin(status func() string) (stop func()) {
	if !x.progress {
		return func() {}
	}
	start := time.Now()
	frames := []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}
	draw := func(i int) {
		fmt.Fprintf(x.stderr, "\r\x1b[K%s %s… %s", frames[i%len(frames)], status(), time.Since(start).Round(100*time.Millisecond))
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			draw(i)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		draw(0)
		fmt.Fprint(x.stderr, "\r\x1b[K")
	}
}
