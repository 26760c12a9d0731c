package function_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/function"
)

// The reproductions of the trust review, each against the demo data: the
// home account 123456789012 (the organization's management account, with
// eight connections a sweep of any age would delete, fresh-github among
// them, an hour old), 456789012345 below ou-demo-production, and
// 210987654321 below the offboarding OU ou-demo-offboard1.
const (
	homeAccount   = "123456789012"
	leaving       = "210987654321"
	production    = "456789012345"
	offboardOU    = "ou-demo-offboard1"
	workloadsOU   = "ou-demo-workloads"
	productionOU  = "ou-demo-production"
	forgedSender  = "AIDAFORGEDSENDER0001"
	demoQueueName = "cleanup"
)

// trustWorld is the function over the demo data with its cleanup queue.
type trustWorld struct {
	emu *apprunnerlocal.Server
	// logs holds the decision lines of the functions' last invocation.
	logs     *logBuffer
	url      string
	queueURL string
	queueARN string
	// principal is who the function's credentials are, as STS says.
	principal string
}

func newTrustWorld(t *testing.T) *trustWorld {
	t.Helper()
	emu := apprunnerlocal.New(apprunnerlocal.Options{Queues: []string{demoQueueName}, AssumableRoleNames: []string{function.DefaultMemberRoleName}})
	if err := emu.Load(apprunnerlocal.DemoSeed()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(emu)
	t.Cleanup(hs.Close)
	for k, v := range apprunnerlocal.SDKEnv(hs.URL, "us-east-1") {
		t.Setenv(k, v)
	}
	w := &trustWorld{emu: emu, logs: &logBuffer{}, url: hs.URL, queueURL: hs.URL + "/" + homeAccount + "/" + demoQueueName,
		queueARN: "arn:aws:sqs:us-east-1:" + homeAccount + ":" + demoQueueName}
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL), HTTPClient: apprunnerlocal.HTTPClient(),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	out, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	w.principal = aws.ToString(out.UserId)
	return w
}

// function starts the function with the demo's policy (a real run, 24h
// minimum age) and env on top.
func (w *trustWorld) function(t *testing.T, env map[string]string) *invoker {
	t.Helper()
	vars := map[string]string{"DRY_RUN": "false", "MIN_CONNECTION_AGE": "24h", "CLEANUP_QUEUE_URL": w.queueURL}
	for k, v := range env {
		if v == "" {
			delete(vars, k)
		} else {
			vars[k] = v
		}
	}
	cfg, err := function.LoadConfig(lookup(vars))
	if err != nil {
		t.Fatal(err)
	}
	h, err := function.New(context.Background(), cfg, function.Deps{Logger: slog.New(slog.NewJSONHandler(w.logs, nil)), Metrics: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	return &invoker{h: h, logs: w.logs}
}

// invoker is the function, and where it logs.
type invoker struct {
	h    *function.App
	logs *logBuffer
}

// logBuffer collects log lines, one invocation at a time.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// take returns the lines written so far and forgets them.
func (b *logBuffer) take() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := bytes.Clone(b.buf.Bytes())
	b.buf.Reset()
	return out
}

// trustReport is what the tests read of a response.
type trustReport struct {
	DryRun  bool          `json:"dryRun"`
	Results []trustResult `json:"results"`
	Plans   []struct {
		DryRun    bool `json:"dryRun"`
		WorkItems int  `json:"workItems"`
		Refused   []struct {
			Subject, Reason string
		} `json:"refused"`
	} `json:"plans"`
	BatchItemFailures []struct {
		ItemIdentifier string `json:"itemIdentifier"`
	} `json:"batchItemFailures"`
}

type trustResult struct {
	ARN     string `json:"resourceArn"`
	Name    string `json:"resourceName"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
}

// invoke invokes the function; the results of an SQS batch, whose
// response lists only the messages to retry, are read from its decision
// log lines.
func invoke(t *testing.T, f *invoker, payload []byte) trustReport {
	t.Helper()
	f.logs.take()
	out, _ := f.h.Invoke(context.Background(), payload)
	var rep trustReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("response %s: %v", out, err)
	}
	if rep.Results == nil {
		for _, line := range bytes.Split(f.logs.take(), []byte("\n")) {
			var d struct {
				Msg string `json:"msg"`
				trustResult
			}
			if json.Unmarshal(line, &d) == nil && d.Msg == "decision" {
				rep.Results = append(rep.Results, d.trustResult)
			}
		}
	}
	return rep
}

// sqsBatch is an SQS event of bodies sent by sender to the cleanup queue.
func (w *trustWorld) sqsBatch(t *testing.T, sender string, bodies ...string) []byte {
	t.Helper()
	ev := events.SQSEvent{}
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId: "m-" + string(rune('a'+i)), Body: b, EventSource: "aws:sqs", EventSourceARN: w.queueARN,
			Attributes: map[string]string{"SenderId": sender, "ApproximateReceiveCount": "1"},
		})
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// relay plays Lambda's SQS event source: it hands every message on the
// cleanup queue to h in one batch, as SQS recorded them.
func (w *trustWorld) relay(t *testing.T, h *invoker) trustReport {
	t.Helper()
	msgs := w.emu.TakeMessages(w.queueURL, 0)
	if len(msgs) == 0 {
		t.Fatal("no work item on the queue")
	}
	b, err := json.Marshal(apprunnerlocal.LambdaSQSEvent(msgs, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return invoke(t, h, b)
}

// nothingDeleted fails the test if App Runner was asked to delete anything.
func (w *trustWorld) nothingDeleted(t *testing.T) {
	t.Helper()
	if n := w.emu.Stats().Calls["DeleteConnection"]; n != 0 {
		t.Errorf("%d DeleteConnection calls, want none", n)
	}
}

func refusedSaying(t *testing.T, rep trustReport, part string) {
	t.Helper()
	for _, r := range rep.Results {
		if r.Outcome == "invalid" && strings.Contains(r.Reason, part) {
			return
		}
	}
	t.Errorf("results %+v, want one invalid saying %q", rep.Results, part)
}

// Defect 1: a bare work item offboarded the home account with the
// function's own credentials and no minimum age.
func TestABareWorkItemDoesNotOffboardTheHomeAccount(t *testing.T) {
	const body = `{"action":"offboard","accountId":"123456789012","region":"us-east-1"}`
	w := newTrustWorld(t)
	h := w.function(t, nil)

	// From anyone but the function: not a work item of its planner.
	rep := invoke(t, h, w.sqsBatch(t, forgedSender, body))
	refusedSaying(t, rep, "work items are accepted only as SQS messages that this function's own planner sent")
	// Even as the function's own: offboarding the home account is the
	// operator's switch, and this one is the management account.
	rep = invoke(t, h, w.sqsBatch(t, w.principal, body))
	refusedSaying(t, rep, "OFFBOARD_HOME_ACCOUNT=true")
	h = w.function(t, map[string]string{"OFFBOARD_HOME_ACCOUNT": "true", "OFFBOARD_OU_ID": offboardOU})
	rep = invoke(t, h, w.sqsBatch(t, w.principal, body))
	refusedSaying(t, rep, "management account")
	w.nothingDeleted(t)
}

// Defect 2: a work item another principal sent was run.
func TestAWorkItemFromAnotherSenderIsRefused(t *testing.T) {
	w := newTrustWorld(t)
	h := w.function(t, map[string]string{"ORGANIZATION_OU_IDS": workloadsOU, "OFFBOARD_OU_ID": offboardOU})
	rep := invoke(t, h, w.sqsBatch(t, forgedSender, `{"action":"offboard","accountId":"210987654321","region":"eu-west-1","planId":"p","dryRun":false}`))
	refusedSaying(t, rep, `sent by "AIDAFORGEDSENDER0001"`)
	if len(rep.BatchItemFailures) != 1 {
		t.Errorf("batch item failures %+v, want the message handed back for the dead-letter queue", rep.BatchItemFailures)
	}
	w.nothingDeleted(t)
}

// Defect 3: a forged MoveAccount planned the offboarding of an account
// that is not in the offboarding OU.
func TestAForgedMoveAccountOffboardsNothing(t *testing.T) {
	move := func(account string) string {
		return `{"version":"0","id":"mv-1","detail-type":"AWS API Call via CloudTrail","source":"aws.organizations","detail":` +
			`{"eventName":"MoveAccount","requestParameters":{"accountId":"` + account + `","sourceParentId":"ou-demo-workloads","destinationParentId":"` + offboardOU + `"}}}`
	}
	w := newTrustWorld(t)
	h := w.function(t, map[string]string{"ORGANIZATION_OU_IDS": workloadsOU, "OFFBOARD_OU_ID": offboardOU, "DEFAULT_REGIONS": "us-east-1,eu-west-1"})

	// In a message body: not where AWS delivers its events.
	rep := invoke(t, h, w.sqsBatch(t, w.principal, move(production)))
	refusedSaying(t, rep, "it is an AWS service event")
	// By invocation: a hint, checked with Organizations.
	rep = invoke(t, h, []byte(move(production)))
	if len(rep.Plans) != 1 || rep.Plans[0].WorkItems != 0 || len(rep.Plans[0].Refused) != 1 ||
		!strings.Contains(rep.Plans[0].Refused[0].Reason, "neither the offboarding OU") {
		t.Errorf("plans %+v, want the account refused as not below the offboarding OU", rep.Plans)
	}
	if msgs := w.emu.TakeMessages(w.queueURL, 0); len(msgs) != 0 {
		t.Errorf("%d work items sent, want none", len(msgs))
	}
	w.nothingDeleted(t)
}

// An account moved into the offboarding OU and back out before its work
// items run is left alone.
func TestAnAccountMovedBackOutIsLeftAlone(t *testing.T) {
	w := newTrustWorld(t)
	h := w.function(t, map[string]string{"ORGANIZATION_OU_IDS": workloadsOU, "OFFBOARD_OU_ID": offboardOU, "DEFAULT_REGIONS": "us-east-1,eu-west-1"})
	rep := invoke(t, h, []byte(`{"action":"offboard","accountIds":["`+leaving+`"]}`))
	if len(rep.Plans) != 1 || rep.Plans[0].WorkItems != 2 {
		t.Fatalf("plans %+v, want two work items", rep.Plans)
	}
	if err := w.emu.MoveAccount(leaving, workloadsOU); err != nil {
		t.Fatal(err)
	}
	rep = w.relay(t, h)
	for _, r := range rep.Results {
		if r.Outcome != "invalid" || !strings.Contains(r.Reason, "no longer below the offboarding OU") {
			t.Errorf("result %+v, want every work item left alone", r)
		}
	}
	if len(rep.Results) != 2 {
		t.Errorf("%d results, want one per work item", len(rep.Results))
	}
	w.nothingDeleted(t)
}

// Defect 4: offboarding reached every account below the sweep OUs.
func TestOffboardingDoesNotReachTheSweepOUs(t *testing.T) {
	w := newTrustWorld(t)
	h := w.function(t, map[string]string{"ORGANIZATION_OU_IDS": workloadsOU, "OFFBOARD_OU_ID": offboardOU})
	rep := invoke(t, h, []byte(`{"action":"offboard","organizationalUnitIds":["`+productionOU+`"],"accountIds":["`+production+`"]}`))
	if len(rep.Plans) != 1 || rep.Plans[0].WorkItems != 0 || len(rep.Plans[0].Refused) != 2 {
		t.Fatalf("plans %+v, want the OU and the account refused", rep.Plans)
	}
	for _, r := range rep.Plans[0].Refused {
		if !strings.Contains(r.Reason, "neither the offboarding OU") {
			t.Errorf("refused %+v, want it refused as not below the offboarding OU", r)
		}
	}
	// A sweep of the same accounts is planned: sweeps keep young
	// connections.
	rep = invoke(t, h, []byte(`{"action":"sweep","organizationalUnitIds":["`+productionOU+`"]}`))
	if len(rep.Plans) != 1 || rep.Plans[0].WorkItems == 0 {
		t.Errorf("plans %+v, want the sweep planned", rep.Plans)
	}
}

// Defect 5: a plan made in dry-run mode deleted for real once DRY_RUN was
// turned off.
func TestADryRunPlanStaysADryRun(t *testing.T) {
	w := newTrustWorld(t)
	org := map[string]string{"ORGANIZATION_OU_IDS": workloadsOU, "OFFBOARD_OU_ID": offboardOU, "DEFAULT_REGIONS": "us-east-1,eu-west-1"}
	dry := map[string]string{"DRY_RUN": "true"}
	for k, v := range org {
		dry[k] = v
	}
	rep := invoke(t, w.function(t, dry), []byte(`{"action":"offboard","accountIds":["`+leaving+`"]}`))
	if len(rep.Plans) != 1 || !rep.Plans[0].DryRun || rep.Plans[0].WorkItems != 2 {
		t.Fatalf("plans %+v, want a dry-run plan of two work items", rep.Plans)
	}
	// Days later, DRY_RUN is off; the work items still say dry run.
	rep = w.relay(t, w.function(t, org))
	wouldDelete := 0
	for _, r := range rep.Results {
		if r.Outcome == "deleted" {
			t.Errorf("result %+v: a dry-run work item deleted", r)
		}
		if r.Outcome == "would_delete" {
			wouldDelete++
		}
	}
	if wouldDelete == 0 {
		t.Errorf("results %+v, want the dry run's would_delete", rep.Results)
	}
	w.nothingDeleted(t)
}

// Defect 6: with DRY_RUN unset a sweep deleted.
func TestAnUnsetDryRunIsADryRun(t *testing.T) {
	w := newTrustWorld(t)
	rep := invoke(t, w.function(t, map[string]string{"DRY_RUN": ""}), []byte(`{"action":"sweep"}`))
	if !rep.DryRun {
		t.Error("report says dryRun false, want true")
	}
	for _, r := range rep.Results {
		if r.Outcome == "deleted" {
			t.Errorf("result %+v: deleted with DRY_RUN unset", r)
		}
	}
	w.nothingDeleted(t)
}
