// Command demo shows the cleanup function at work without AWS: it starts the
// local App Runner emulator with the demo data, runs the function's
// bootstrap under the Lambda Runtime Interface Emulator, invokes it with
// every sample event in events/, and prints what was deleted, kept and why.
//
// The emulator also plays the function's AWS Organizations and its cleanup
// queue. When an event makes the function plan (08: an account moved into
// the offboarding OU), the function sends its work items to that queue;
// the demo then plays Lambda's SQS event source, relaying them to the
// function in batches of up to ten, as SQS events.
//
// Run it from the repository root: go run ./cmd/demo (or make demo).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/lambdarun"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // the usage is printed
		}
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

const (
	demoAccount = apprunnerlocal.DefaultAccount
	demoRegion  = "us-east-1"
	// leavingAccount is offboarded by events/07-direct-offboard.json, and
	// planned for offboarding by 08-organizations-move-account.json.
	leavingAccount = "210987654321"
	offboardRole   = "arn:aws:iam::210987654321:role/AppRunnerConnectionCleanup"
	// The function's organization settings: the OUs its plans may cover,
	// the offboarding OU, the member role every account of the
	// organization has, and the regions of a plan that names none.
	organizationOUs = "ou-demo-workloads"
	offboardOU      = "ou-demo-offboard1"
	memberRole      = "AppRunnerConnectionCleanup"
	defaultRegions  = "us-east-1,eu-west-1"
	// cleanupQueue is the function's own queue, in its account.
	cleanupQueue = "connection-cleanup"
	// relayBatchSize is the most messages the demo hands the function at
	// once, as an SQS event source with BatchSize 10 does.
	relayBatchSize = 10
)

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	eventsDir := fs.String("events", "events", "`directory` of sample events, invoked in name order")
	binDir := fs.String("bin", "bin", "`directory` for the built bootstrap and runtime emulator")
	verbose := fs.Bool("v", false, "print the function's own log lines and metrics records too")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := os.Stat("go.mod"); err != nil {
		return errors.New("run the demo from the repository root (where go.mod is)")
	}
	files, err := filepath.Glob(filepath.Join(*eventsDir, "*.json"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no sample events in %s", *eventsDir)
	}
	sort.Strings(files)

	fmt.Fprintf(stdout, "App Runner connection cleanup: demo\n\n")
	fmt.Fprintf(stdout, "  building             the bootstrap (as deployed) and the Lambda Runtime Interface Emulator...\n")
	absBin, err := filepath.Abs(*binDir)
	if err != nil {
		return err
	}
	bins, err := lambdarun.Build(ctx, ".", absBin)
	if err != nil {
		return err
	}

	// Loaded once built: the seed's ages ("created an hour ago") count
	// from now, and the build's time must not age them.
	emu := apprunnerlocal.New(apprunnerlocal.Options{
		// STS grants the member role in every account of the organization
		// that is not suspended: 07's offboarding role is that role too.
		AssumableRoleNames: []string{memberRole},
		Queues:             []string{cleanupQueue},
	})
	if err := emu.Load(apprunnerlocal.DemoSeed()); err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	defer srv.Close()
	emuURL := "http://" + l.Addr().String()
	queueURL := emuURL + "/" + demoAccount + "/" + cleanupQueue

	fmt.Fprintf(stdout, "  App Runner emulator  %s, demo data: %d connections, %d services in %s/%s\n",
		emuURL, len(emu.Connections(demoAccount, demoRegion)), countServices(emu), demoAccount, demoRegion)
	fmt.Fprintf(stdout, "  organization         the same emulator: o-a1b2c3d4e5, plans may cover %s, offboarding OU %s; cleanup queue %s\n",
		organizationOUs, offboardOU, queueURL)
	var out io.Writer = io.Discard
	if *verbose {
		out = &prefixWriter{w: stdout, prefix: "      | "}
	}
	rt, err := lambdarun.Start(ctx, lambdarun.Options{
		Binaries: bins,
		Env: []string{
			"AWS_REGION=" + demoRegion, "AWS_ACCESS_KEY_ID=demo", "AWS_SECRET_ACCESS_KEY=demo", "AWS_SESSION_TOKEN=",
			"AWS_ENDPOINT_URL_APPRUNNER=" + emuURL, "AWS_ENDPOINT_URL_STS=" + emuURL, "ACCOUNT_ID=",
			"AWS_ENDPOINT_URL_ORGANIZATIONS=" + emuURL, "AWS_ENDPOINT_URL_SQS=" + emuURL,
			"OFFBOARD_ROLE_ARNS=" + offboardRole,
			"ORGANIZATION_OU_IDS=" + organizationOUs, "OFFBOARD_OU_ID=" + offboardOU,
			"MEMBER_ROLE_NAME=" + memberRole, "DEFAULT_REGIONS=" + defaultRegions,
			"CLEANUP_QUEUE_URL=" + queueURL,
			"AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_FUNCTION_TIMEOUT=60",
			"DRY_RUN=false", "MIN_CONNECTION_AGE=24h", "RESOURCE_TYPES=all",
			// The idle period stays the default (a week), so the sweeps
			// mark what they find free; the demo does not wait 15 minutes
			// for 08's work items.
			"OFFBOARD_DELAY=0s",
		},
		Output: out,
	})
	if err != nil {
		// The error quotes the emulator's last output lines: without -v
		// they would be seen nowhere else.
		return fmt.Errorf("run the function under the Lambda Runtime Interface Emulator: %w", err)
	}
	defer rt.Close()
	fmt.Fprintf(stdout, "  function             %s under the runtime emulator; policy: every kind (RESOURCE_TYPES=all: connections, VPC connectors, auto scaling and observability configurations), minimum age 24h, idle period 168h (sweeps mark what they find free, and delete it a week later), protection tag apprunner-cleanup:protect, dry run off unless the event asks\n",
		filepath.Join(*binDir, "bootstrap"))

	// The totals add up each invocation's own counts (its summary line).
	totals := map[string]int{}
	relayed := 0
	for _, f := range files {
		event, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := invoke(ctx, stdout, rt, filepath.Base(f), event, totals); err != nil {
			return err
		}
		// Lambda's SQS event source delivers what the invocation sent to
		// the cleanup queue: the work items of a plan.
		n, err := relay(ctx, stdout, rt, emu, queueURL, totals)
		if err != nil {
			return err
		}
		relayed += n
	}

	batches := "SQS batches"
	if relayed == 1 {
		batches = "SQS batch"
	}
	fmt.Fprintf(stdout, "\nSummary over %d invocations (%d sample events, %d %s of work items relayed from the cleanup queue)\n",
		len(files)+relayed, len(files), relayed, batches)
	var parts []string
	for _, o := range request.Outcomes() {
		if n := totals[string(o)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", o, n))
		}
	}
	fmt.Fprintf(stdout, "  decisions            %s\n", strings.Join(parts, ", "))
	fmt.Fprintf(stdout, "  connections left     %s/%s: %s\n", demoAccount, demoRegion, names(emu, demoAccount, demoRegion))
	fmt.Fprintf(stdout, "  other leftovers left %s/%s: %s\n", demoAccount, demoRegion, otherNames(emu, demoAccount, demoRegion))
	for _, r := range []string{"us-east-1", "eu-west-1"} {
		fmt.Fprintf(stdout, "                       %s/%s (offboarded): %s\n", leavingAccount, r, names(emu, leavingAccount, r))
	}
	fmt.Fprintf(stdout, "  API calls            %s\n", apiCalls(emu.Stats()))
	return nil
}

// apiCalls says how many calls the emulator answered, per service.
func apiCalls(st apprunnerlocal.Stats) string {
	per := map[string]int{}
	for op, n := range st.Calls {
		service := "App Runner"
		switch prefix, _, _ := strings.Cut(op, ":"); prefix {
		case "sts":
			service = "STS"
		case "organizations":
			service = "Organizations"
		case "sqs":
			service = "SQS"
		}
		per[service] += n
	}
	parts := []string{}
	for _, service := range []string{"App Runner", "STS", "Organizations", "SQS"} {
		if per[service] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", service, per[service]))
		}
	}
	return fmt.Sprintf("%d to the emulator (%s)", st.Total(), strings.Join(parts, ", "))
}

// relay plays Lambda's SQS event source: it takes the messages on the
// cleanup queue, ten at a time, and invokes the function with each batch
// as an SQS event. It returns how many batches it relayed.
func relay(ctx context.Context, stdout io.Writer, rt *lambdarun.Runtime, emu *apprunnerlocal.Server, queueURL string, totals map[string]int) (int, error) {
	batches := 0
	for {
		msgs := emu.TakeMessages(queueURL, relayBatchSize)
		if len(msgs) == 0 {
			return batches, nil
		}
		batches++
		event, err := json.Marshal(apprunnerlocal.LambdaSQSEvent(msgs, time.Now()))
		if err != nil {
			return batches, err
		}
		title := fmt.Sprintf("cleanup queue, batch %d: %d work item(s)%s", batches, len(msgs), planOf(msgs))
		if err := invoke(ctx, stdout, rt, title, event, totals); err != nil {
			return batches, err
		}
	}
}

// planOf names the plans whose work items msgs are.
func planOf(msgs []apprunnerlocal.QueueMessage) string {
	var ids []string
	for _, m := range msgs {
		var item struct {
			PlanID string `json:"planId"`
		}
		if json.Unmarshal([]byte(m.Body), &item) == nil && item.PlanID != "" && !slices.Contains(ids, item.PlanID) {
			ids = append(ids, item.PlanID)
		}
	}
	if len(ids) == 0 {
		return ""
	}
	return " of " + strings.Join(ids, ", ")
}

// otherNames names the live VPC connectors, auto scaling and
// observability configurations (NAME/REVISION) of an account and region,
// kind by kind.
func otherNames(emu *apprunnerlocal.Server, account, region string) string {
	var parts []string
	for _, k := range []struct {
		noun string
		list []apprunnerlocal.ResourceState
	}{
		{"VPC connectors", emu.VPCConnectors(account, region)},
		{"auto scaling", emu.AutoScalingConfigurations(account, region)},
		{"observability", emu.ObservabilityConfigurations(account, region)},
	} {
		var live []string
		for _, r := range k.list {
			if r.Status == "ACTIVE" {
				live = append(live, fmt.Sprintf("%s/%d", r.Name, r.Revision))
			}
		}
		if len(live) == 0 {
			live = []string{"none"}
		}
		parts = append(parts, k.noun+" "+strings.Join(live, ", "))
	}
	return strings.Join(parts, "; ")
}

func names(emu *apprunnerlocal.Server, account, region string) string {
	var out []string
	for _, c := range emu.Connections(account, region) {
		out = append(out, c.Name)
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

func countServices(emu *apprunnerlocal.Server) int {
	n := 0
	for _, s := range emu.Services(demoAccount, demoRegion) {
		if s.Status != apprunnerlocal.ServiceDeleted {
			n++
		}
	}
	return n
}

// logLine is the part of the function's log lines the demo shows.
type logLine struct {
	Message  string         `json:"message"`
	Type     string         `json:"resourceType"`
	ARN      string         `json:"resourceArn"`
	Name     string         `json:"resourceName"`
	Outcome  string         `json:"outcome"`
	Reason   string         `json:"reason"`
	Trigger  string         `json:"trigger"`
	InputIDs []string       `json:"inputIds"`
	Counts   map[string]int `json:"counts"`
	AWS      *struct {
		CloudWatchMetrics []json.RawMessage
	} `json:"_aws"`
	// Plan and work item summaries.
	PlanID    string   `json:"planId"`
	Action    string   `json:"action"`
	Accounts  int      `json:"accounts"`
	Regions   []string `json:"regions"`
	WorkItems int      `json:"workItems"`
	Refused   []struct {
		Subject string `json:"subject"`
		Reason  string `json:"reason"`
	} `json:"refused"`
	Error   string `json:"error"`
	Account string `json:"account"`
	Region  string `json:"region"`
}

// invoke sends one event, titled title, and prints what the function
// decided and answered.
func invoke(ctx context.Context, stdout io.Writer, rt *lambdarun.Runtime, title string, event []byte, totals map[string]int) error {
	resp, invokeErr := rt.Invoke(ctx, event)
	var fe *lambdarun.FunctionError
	if invokeErr != nil && !errors.As(invokeErr, &fe) {
		return invokeErr
	}
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	lines, err := rt.NextLines(waitCtx, func(l string) bool {
		var ll logLine
		// The totals record is an invocation's last line; the records
		// by resource type come before it.
		return json.Unmarshal([]byte(l), &ll) == nil && ll.AWS != nil && ll.Message == "metrics"
	})
	if err != nil {
		return err
	}
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	trigger := "?"
	for _, l := range lines {
		var ll logLine
		if json.Unmarshal([]byte(l), &ll) != nil {
			continue
		}
		switch ll.Message {
		case "decision":
			if ll.Outcome == string(request.OutcomeInvalid) || ll.Outcome == string(request.OutcomeFailed) {
				writeInputAndReason(tw, ll)
				continue
			}
			subject := ll.Name
			if subject == "" {
				subject = excerpt(ll.ARN, 40)
			}
			// A revision says which; another account's or region's
			// resource (an offboarding, a work item) says where it is.
			if a, err := request.ParseResourceARN(ll.ARN); err == nil {
				if a.Revision != "" && ll.Name != "" {
					subject += "/" + a.Revision
				}
				if a.Account != demoAccount || a.Region != demoRegion {
					subject += " (" + a.Account + "/" + a.Region + ")"
				}
			}
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", ll.Outcome, ll.Type, subject, excerpt(ll.Reason, 110))
		case "plan summary":
			fmt.Fprintf(tw, "    plan\t%s\t%s\n", ll.PlanID, planLine(ll))
		case "work item summary":
			fmt.Fprintf(tw, "    work item\t%s/%s\t%s\n", ll.Account, ll.Region, countsLine(ll.Counts))
		case "invocation summary":
			trigger = ll.Trigger
			for o, n := range ll.Counts {
				totals[o] += n
			}
		}
	}
	tw.Flush()
	fmt.Fprintf(stdout, "\n▶ %s  (trigger: %s)\n%s", title, trigger, table.String())
	if fe != nil {
		fmt.Fprintf(stdout, "    the function returned an error: %s\n", fe.Message)
	}
	if resp != nil {
		fmt.Fprintf(stdout, "    response: %s\n", summarise(resp))
	}
	return nil
}

// reasonWidth is how wide a reason's lines are before they wrap.
const reasonWidth = 110

// writeInputAndReason writes an invalid or failed decision, the ones to act
// on, with nothing cut: the input as the function logged it (it shortens an
// oversized body itself) and the reason, wrapped, each on rows of their own.
func writeInputAndReason(tw io.Writer, ll logLine) {
	input := ll.ARN
	if input == "" {
		input = "(empty)"
	}
	label := ll.Outcome
	for _, field := range []struct{ name, text string }{{"input", input}, {"reason", ll.Reason}} {
		for _, line := range wrap(printable(field.text), reasonWidth) {
			fmt.Fprintf(tw, "    %s\t%s\t%s\n", label, field.name, line)
			label, field.name = "", ""
		}
	}
}

// printable escapes the control characters of s (a tab would start a new
// column, a newline a row) and replaces invalid UTF-8.
func printable(s string) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "?") {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// wrap breaks s at spaces into lines of at most width runes, the spacing
// within a line kept; a word longer than width (an ARN) stays whole on a
// line of its own.
func wrap(s string, width int) []string {
	var lines []string
	line := []rune(nil)
	for i, word := range strings.Split(s, " ") {
		w := []rune(word)
		if i > 0 {
			if len(line) > 0 && len(line)+1+len(w) > width {
				lines = append(lines, string(line))
				line = line[:0]
			} else {
				line = append(line, ' ')
			}
		}
		line = append(line, w...)
	}
	return append(lines, string(line))
}

// planLine says what a plan summary line says: what was planned, sent
// and refused.
func planLine(ll logLine) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s of %d account(s) in %s: %d work item(s) sent to the cleanup queue; refused: ",
		ll.Action, ll.Accounts, strings.Join(ll.Regions, ", "), ll.WorkItems)
	if len(ll.Refused) == 0 {
		b.WriteString("none")
	}
	for i, r := range ll.Refused {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s (%s)", r.Subject, r.Reason)
	}
	if ll.Error != "" {
		fmt.Fprintf(&b, "; error: %s", ll.Error)
	}
	return excerpt(b.String(), 160)
}

// countsLine lists a work item's non-zero counts in the outcomes' order.
func countsLine(counts map[string]int) string {
	var parts []string
	for _, o := range request.Outcomes() {
		if n := counts[string(o)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", o, n))
		}
	}
	if len(parts) == 0 {
		return "no connection left to decide"
	}
	return strings.Join(parts, ", ")
}

// summarise says in a line what the function answered its caller.
func summarise(resp []byte) string {
	var r struct {
		Failures *[]struct {
			ID string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
		Results []json.RawMessage `json:"results"`
		Plans   []json.RawMessage `json:"plans"`
	}
	if json.Unmarshal(resp, &r) != nil {
		return excerpt(string(resp), 120)
	}
	if r.Failures != nil {
		if len(*r.Failures) == 0 {
			return "SQS batch fully processed"
		}
		ids := make([]string, 0, len(*r.Failures))
		for _, f := range *r.Failures {
			ids = append(ids, f.ID)
		}
		return fmt.Sprintf("%d SQS message(s) returned to the queue as batch item failures (retried, then moved to the DLQ): %s",
			len(ids), strings.Join(ids, ", "))
	}
	if len(r.Plans) > 0 {
		return fmt.Sprintf("report with %d result(s) and %d plan(s)", len(r.Results), len(r.Plans))
	}
	return fmt.Sprintf("report with %d result(s)", len(r.Results))
}

func excerpt(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// prefixWriter indents the function's raw output under the demo's own. The
// output arrives in chunks that need not end at a line's end.
type prefixWriter struct {
	w       io.Writer
	prefix  string
	midLine bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line == "" {
			continue
		}
		if !p.midLine {
			line = p.prefix + line
		}
		if _, err := io.WriteString(p.w, line); err != nil {
			return 0, err
		}
		p.midLine = !strings.HasSuffix(line, "\n")
	}
	return len(b), nil
}
