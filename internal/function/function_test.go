package function_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/function"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := function.LoadConfig(lookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := function.Config{
		Policy: cleanup.Config{
			Kinds:          []request.Kind{request.KindConnection},
			DryRun:         true, // unset is a dry run
			MinAge:         24 * time.Hour,
			UnusedFor:      7 * 24 * time.Hour,
			ProtectTagKey:  "apprunner-cleanup:protect",
			MaxConcurrency: 8,
			IndexTTL:       time.Minute,
		},
		OffboardDelay:     15 * time.Minute,
		MetricsNamespace:  "AppRunnerConnectionCleanup",
		CustomEventSource: "apprunner.connection-cleanup",
		MemberRoleName:    "AppRunnerConnectionCleanup",
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestLoadConfigReadsEveryVariable(t *testing.T) {
	cfg, err := function.LoadConfig(lookup(map[string]string{
		"DRY_RUN": "true", "MIN_CONNECTION_AGE": "90m", "PROTECT_TAG_KEY": "<none>", "NAME_INCLUDE": "legacy-*, old-?",
		"NAME_EXCLUDE": "prod-*", "MAX_CONCURRENCY": "3", "USAGE_INDEX_TTL": "0", "METRICS_NAMESPACE": "Team/Cleanup",
		"CUSTOM_EVENT_SOURCE": "com.example.pipeline", "ACCOUNT_ID": "123456789012", "AWS_LAMBDA_LOG_LEVEL": "WARN",
		"OFFBOARD_ROLE_ARNS":  "arn:aws:iam::210987654321:role/Cleanup, arn:aws:iam::111122223333:role/Cleanup",
		"ORGANIZATION_OU_IDS": "ou-abcd-11111111,ou-abcd-22222222", "OFFBOARD_OU_ID": "ou-abcd-offboard",
		"MEMBER_ROLE_NAME": "Cleanup", "DEFAULT_REGIONS": "eu-west-1, us-east-1", "CLEANUP_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
		"PLAN_PROGRESS_QUERY": "cleanup/plan-progress", "UNUSED_FOR": "2d", "OFFBOARD_DELAY": "90s",
		"RESOURCE_TYPES": "vpc-connector, connection",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := function.Config{
		Policy: cleanup.Config{
			Kinds:  []request.Kind{request.KindConnection, request.KindVPCConnector},
			DryRun: true, MinAge: 90 * time.Minute, UnusedFor: 48 * time.Hour, ProtectTagKey: "", NameInclude: []string{"legacy-*", "old-?"},
			NameExclude: []string{"prod-*"}, MaxConcurrency: 3, IndexTTL: 0, Account: "123456789012",
		},
		MetricsNamespace: "Team/Cleanup", CustomEventSource: "com.example.pipeline", LogLevel: "WARN",
		OffboardRoles:   []string{"arn:aws:iam::210987654321:role/Cleanup", "arn:aws:iam::111122223333:role/Cleanup"},
		OrganizationOUs: []string{"ou-abcd-11111111", "ou-abcd-22222222"}, OffboardOU: "ou-abcd-offboard",
		MemberRoleName: "Cleanup", DefaultRegions: []string{"eu-west-1", "us-east-1"}, QueueURL: "https://sqs.us-east-1.amazonaws.com/123456789012/q",
		ProgressQuery: "cleanup/plan-progress", OffboardDelay: 90 * time.Second,
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestLoadConfigNamesEveryBadVariable(t *testing.T) {
	_, err := function.LoadConfig(lookup(map[string]string{
		"DRY_RUN": "yes please", "MIN_CONNECTION_AGE": "1 day", "MAX_CONCURRENCY": "0",
		"USAGE_INDEX_TTL": "-1s", "ACCOUNT_ID": "12345", "NAME_EXCLUDE": "[oops",
		"OFFBOARD_ROLE_ARNS": "arn:aws:iam::210987654321:user/bob", "ORGANIZATION_OU_IDS": "r-abcd",
		"MEMBER_ROLE_NAME": "a/b", "DEFAULT_REGIONS": "sa-east-1", "UNUSED_FOR": "a while", "OFFBOARD_DELAY": "1h",
		"RESOURCE_TYPES": "buckets",
	}))
	if err == nil {
		t.Fatal("no error for seven bad variables")
	}
	for _, v := range []string{"DRY_RUN", "MIN_CONNECTION_AGE", "MAX_CONCURRENCY", "USAGE_INDEX_TTL", "ACCOUNT_ID", "[oops", "OFFBOARD_ROLE_ARNS",
		"ORGANIZATION_OU_IDS", "MEMBER_ROLE_NAME", "DEFAULT_REGIONS", "UNUSED_FOR", "OFFBOARD_DELAY", "RESOURCE_TYPES"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error does not name %s:\n%v", v, err)
		}
	}
}

// TestLoadConfigProtectTagKey: tag protection is turned off only by saying
// so; an empty key (an unset template parameter, say) is an error, not a
// silent "off".
func TestLoadConfigProtectTagKey(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		errPart string
	}{
		{"unset: the default key", nil, function.DefaultProtectTagKey, ""},
		{"a key of one's own", map[string]string{"PROTECT_TAG_KEY": " team:keep "}, "team:keep", ""},
		{"explicitly off", map[string]string{"PROTECT_TAG_KEY": function.ProtectionOff}, "", ""},
		{"empty", map[string]string{"PROTECT_TAG_KEY": ""}, "", "PROTECT_TAG_KEY is set but empty"},
		{"blank", map[string]string{"PROTECT_TAG_KEY": "   "}, "", "set it to <none> to turn tag protection off"},
		{"AWS's own prefix", map[string]string{"PROTECT_TAG_KEY": "aws:cloudformation:stack-name"}, "", "not starting with aws:"},
		{"too long", map[string]string{"PROTECT_TAG_KEY": strings.Repeat("k", 129)}, "", "1 to 128 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := function.LoadConfig(lookup(tt.env))
			if tt.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errPart) {
					t.Fatalf("error = %v, want one saying %q", err, tt.errPart)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Policy.ProtectTagKey != tt.want {
				t.Errorf("ProtectTagKey = %q, want %q", cfg.Policy.ProtectTagKey, tt.want)
			}
		})
	}
}

// useEmulator starts an emulator with opts, loaded with the demo data, and
// points the SDK's standard configuration at it, for App Runner and STS,
// with static credentials of the emulator's default account.
func useEmulator(t *testing.T, opts apprunnerlocal.Options, region string) *apprunnerlocal.Server {
	t.Helper()
	emu := apprunnerlocal.New(opts)
	if err := emu.Load(apprunnerlocal.DemoSeed()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(emu)
	t.Cleanup(hs.Close)
	for k, v := range apprunnerlocal.SDKEnv(hs.URL, region) {
		t.Setenv(k, v)
	}
	return emu
}

// TestNewRefusesCredentialsOfAnotherAccountOrPartition: the engine judges
// every ARN by the configured account and partition, so credentials that
// reach another must stop the function before anything is listed.
func TestNewRefusesCredentialsOfAnotherAccountOrPartition(t *testing.T) {
	tests := []struct {
		name, region, account, errPart string
	}{
		{"ACCOUNT_ID of another account", "us-east-1", "999999999999",
			"ACCOUNT_ID is 999999999999 but the credentials (arn:aws:iam::123456789012:user/apprunner-local) belong to account 123456789012"},
		{"a region of another partition", "cn-north-1", "", "region cn-north-1 is in partition aws-cn but the credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := useEmulator(t, apprunnerlocal.Options{}, tt.region)
			env := map[string]string{}
			if tt.account != "" {
				env["ACCOUNT_ID"] = tt.account
			}
			cfg, err := function.LoadConfig(lookup(env))
			if err != nil {
				t.Fatal(err)
			}
			_, err = function.New(context.Background(), cfg, function.Deps{Logger: slog.New(slog.DiscardHandler), Metrics: io.Discard})
			if err == nil || !strings.Contains(err.Error(), tt.errPart) {
				t.Fatalf("New error = %v, want one saying %q", err, tt.errPart)
			}
			for op, n := range emu.Stats().Calls {
				if op != "sts:GetCallerIdentity" && n > 0 {
					t.Errorf("%d %s calls before the account was known to be right", n, op)
				}
			}
		})
	}
}

// TestHandlerCleansUpThroughTheRealSDKConfiguration wires the function as
// main does, with the SDK's standard configuration pointed at the emulator
// through AWS_ENDPOINT_URL_APPRUNNER.
func TestHandlerCleansUpThroughTheRealSDKConfiguration(t *testing.T) {
	emu := useEmulator(t, apprunnerlocal.Options{}, "us-east-1")
	// No idle period: this test is about the wiring, not the marks.
	cfg, err := function.LoadConfig(lookup(map[string]string{"ACCOUNT_ID": "123456789012", "UNUSED_FOR": "0s"}))
	if err != nil {
		t.Fatal(err)
	}
	var logs, metrics bytes.Buffer
	ctx := context.Background()
	h, err := function.New(ctx, cfg, function.Deps{
		Logger:      slog.New(slog.NewJSONHandler(&logs, nil)),
		Metrics:     &metrics,
		ForceDryRun: true,
	})
	if err != nil {
		t.Fatal(err)
	}

	// The request asks for a real deletion; the command's --dry-run wins.
	out, err := h.Invoke(ctx, []byte(`{"action":"sweep","dryRun":false}`))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		DryRun bool           `json:"dryRun"`
		Counts map[string]int `json:"counts"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.DryRun || rep.Counts["would_delete"] == 0 || rep.Counts["deleted"] != 0 {
		t.Errorf("forced dry run: dryRun %v, counts %v", rep.DryRun, rep.Counts)
	}
	if n := emu.Stats().Calls["DeleteConnection"]; n != 0 {
		t.Errorf("%d DeleteConnection calls in a forced dry run", n)
	}
	if !strings.Contains(logs.String(), `"decision"`) || !strings.Contains(metrics.String(), `"CloudWatchMetrics"`) {
		t.Errorf("missing decision logs or metrics record:\nlogs: %s\nmetrics: %s", logs.String(), metrics.String())
	}

	// A payload of no known form is an error for the caller, not a crash.
	if _, err := h.Invoke(ctx, []byte(`42`)); err == nil {
		t.Error("no error for a number payload")
	}
}

// TestOffboardingAssumesTheRoleThroughSTS runs an offboarding through the
// SDK's real STS client: the emulator hands out credentials of the role's
// account, and refuses a role it does not know.
func TestOffboardingAssumesTheRoleThroughSTS(t *testing.T) {
	const allowed, refused = "arn:aws:iam::210987654321:role/Allowed", "arn:aws:iam::210987654321:role/Refused"
	useEmulator(t, apprunnerlocal.Options{AssumableRoles: []string{allowed}}, "us-east-1")
	// No ACCOUNT_ID: the function asks STS, which the emulator answers.
	cfg, err := function.LoadConfig(lookup(map[string]string{"OFFBOARD_ROLE_ARNS": allowed + "," + refused, "DRY_RUN": "false"}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h, err := function.New(ctx, cfg, function.Deps{Logger: slog.New(slog.DiscardHandler), Metrics: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		Name    string `json:"resourceName"`
		Outcome string `json:"outcome"`
		Reason  string `json:"reason"`
	}
	invoke := func(role string) []result {
		t.Helper()
		out, _ := h.Invoke(ctx, []byte(`{"action":"offboard","roleArn":"`+role+`","regions":["eu-west-1"]}`))
		var rep struct{ Results []result }
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatalf("response %s: %v", out, err)
		}
		return rep.Results
	}

	got := invoke(refused)
	if len(got) != 1 || got[0].Outcome != "failed" || !strings.Contains(got[0].Reason, "STS") || !strings.Contains(got[0].Reason, "AccessDenied") {
		t.Errorf("refused role: %+v, want one failed result that blames STS", got)
	}
	outcomes := map[string]string{}
	for _, r := range invoke(allowed) {
		outcomes[r.Name] = r.Outcome
	}
	if diff := cmp.Diff(map[string]string{"other-account-conn": "deleted", "legacy-api-github": "in_use"}, outcomes); diff != "" {
		t.Errorf("offboarding through the allowed role (-want +got):\n%s", diff)
	}
}

// TestSQSMessagesNamingAnotherPartitionGoToTheDeadLetterQueue: an ARN of
// aws-cn or aws-us-gov is invalid, so its message is handed back (and, after
// the redrive count, kept in the DLQ), never acknowledged as already deleted.
func TestSQSMessagesNamingAnotherPartitionGoToTheDeadLetterQueue(t *testing.T) {
	emu := useEmulator(t, apprunnerlocal.Options{}, "us-east-1")
	cfg, err := function.LoadConfig(lookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h, err := function.New(ctx, cfg, function.Deps{Logger: slog.New(slog.DiscardHandler), Metrics: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	const conn = "apprunner:us-east-1:123456789012:connection/legacy-github/7c3bb97d87a2b0d482acd89eaad25d3b"
	batch := `{"Records":[
		{"messageId":"cn","eventSource":"aws:sqs","body":"arn:aws-cn:` + conn + `"},
		{"messageId":"gov","eventSource":"aws:sqs","body":"arn:aws-us-gov:` + conn + `"},
		{"messageId":"dry","eventSource":"aws:sqs","body":"{\"action\":\"delete\",\"connectionArns\":[\"arn:aws:` + conn + `\"],\"dryRun\":true}"}]}`

	out, err := h.Invoke(ctx, []byte(batch))
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		BatchItemFailures []struct{ ItemIdentifier string } `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if diff := cmp.Diff([]string{"cn", "gov"}, failed); diff != "" {
		t.Errorf("batch item failures (-want +got):\n%s", diff)
	}
	if n := emu.Stats().Calls["DeleteConnection"]; n != 0 {
		t.Errorf("%d DeleteConnection calls", n)
	}
}

// recordingTracer records what the function asks of its tracer.
type recordingTracer struct {
	mu           sync.Mutex
	instrumented int
	phases       []string
}

func (r *recordingTracer) InstrumentAWS(*aws.Config) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.instrumented++
}

func (r *recordingTracer) StartPhase(ctx context.Context, name string) (context.Context, func(map[string]int64, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.phases = append(r.phases, name)
	return ctx, func(map[string]int64, error) {}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestNewTracesAndReportsThroughWhatItIsGiven: the tracer instruments the
// AWS configuration and marks the engine's phases; a metrics record that
// cannot be written is logged, and does not fail work that was done.
func TestNewTracesAndReportsThroughWhatItIsGiven(t *testing.T) {
	useEmulator(t, apprunnerlocal.Options{}, "us-east-1")
	cfg, err := function.LoadConfig(lookup(map[string]string{"DRY_RUN": "true"}))
	if err != nil {
		t.Fatal(err)
	}
	tracer := &recordingTracer{}
	var logs bytes.Buffer
	ctx := context.Background()
	h, err := function.New(ctx, cfg, function.Deps{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Metrics: failingWriter{}, Tracer: tracer})
	if err != nil {
		t.Fatal(err)
	}

	if _, err := h.Invoke(ctx, []byte(`{"action":"sweep"}`)); err != nil {
		t.Fatalf("Invoke: %v", err)
	}

	if tracer.instrumented != 1 {
		t.Errorf("AWS configuration instrumented %d times, want once", tracer.instrumented)
	}
	if diff := cmp.Diff([]string{"index", "decide", "delete"}, tracer.phases); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
	if !strings.Contains(logs.String(), `"write metrics"`) || !strings.Contains(logs.String(), "disk full") {
		t.Errorf("the failed metrics write is not logged:\n%s", logs.String())
	}
}
