package function_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/function"
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
		MinAge:            24 * time.Hour,
		ProtectTagKey:     "apprunner-cleanup:protect",
		MaxConcurrency:    8,
		IndexTTL:          time.Minute,
		MetricsNamespace:  "AppRunnerConnectionCleanup",
		CustomEventSource: "apprunner.connection-cleanup",
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestLoadConfigReadsEveryVariable(t *testing.T) {
	cfg, err := function.LoadConfig(lookup(map[string]string{
		"DRY_RUN": "true", "MIN_CONNECTION_AGE": "90m", "PROTECT_TAG_KEY": "", "NAME_INCLUDE": "legacy-*, old-?",
		"NAME_EXCLUDE": "prod-*", "MAX_CONCURRENCY": "3", "USAGE_INDEX_TTL": "0", "METRICS_NAMESPACE": "Team/Cleanup",
		"CUSTOM_EVENT_SOURCE": "com.example.pipeline", "ACCOUNT_ID": "123456789012", "AWS_LAMBDA_LOG_LEVEL": "WARN",
		"OFFBOARD_ROLE_ARNS": "arn:aws:iam::210987654321:role/Cleanup, arn:aws:iam::111122223333:role/Cleanup",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := function.Config{
		DryRun: true, MinAge: 90 * time.Minute, ProtectTagKey: "", NameInclude: []string{"legacy-*", "old-?"},
		NameExclude: []string{"prod-*"}, MaxConcurrency: 3, IndexTTL: 0, MetricsNamespace: "Team/Cleanup",
		CustomEventSource: "com.example.pipeline", Account: "123456789012", LogLevel: "WARN",
		OffboardRoles: []string{"arn:aws:iam::210987654321:role/Cleanup", "arn:aws:iam::111122223333:role/Cleanup"},
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestLoadConfigNamesEveryBadVariable(t *testing.T) {
	_, err := function.LoadConfig(lookup(map[string]string{
		"DRY_RUN": "yes please", "MIN_CONNECTION_AGE": "1 day", "MAX_CONCURRENCY": "0",
		"USAGE_INDEX_TTL": "-1s", "ACCOUNT_ID": "12345", "NAME_EXCLUDE": "[oops",
		"OFFBOARD_ROLE_ARNS": "arn:aws:iam::210987654321:user/bob",
	}))
	if err == nil {
		t.Fatal("no error for seven bad variables")
	}
	for _, v := range []string{"DRY_RUN", "MIN_CONNECTION_AGE", "MAX_CONCURRENCY", "USAGE_INDEX_TTL", "ACCOUNT_ID", "[oops", "OFFBOARD_ROLE_ARNS"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error does not name %s:\n%v", v, err)
		}
	}
}

// TestHandlerCleansUpThroughTheRealSDKConfiguration wires the function as
// main does, with the SDK's standard configuration pointed at the emulator
// through AWS_ENDPOINT_URL_APPRUNNER.
func TestHandlerCleansUpThroughTheRealSDKConfiguration(t *testing.T) {
	emu := apprunnerlocal.New(apprunnerlocal.Options{})
	if err := emu.Load(apprunnerlocal.DemoSeed()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(emu)
	t.Cleanup(hs.Close)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_APPRUNNER": hs.URL, "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "",
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
	cfg, err := function.LoadConfig(lookup(map[string]string{"ACCOUNT_ID": "123456789012"}))
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
	if !strings.Contains(logs.String(), `"connection decision"`) || !strings.Contains(metrics.String(), `"CloudWatchMetrics"`) {
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
	emu := apprunnerlocal.New(apprunnerlocal.Options{AssumableRoles: []string{allowed}})
	if err := emu.Load(apprunnerlocal.DemoSeed()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(emu)
	t.Cleanup(hs.Close)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_APPRUNNER": hs.URL, "AWS_ENDPOINT_URL_STS": hs.URL, "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "",
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
	// No ACCOUNT_ID: the function asks STS, which the emulator answers.
	cfg, err := function.LoadConfig(lookup(map[string]string{"OFFBOARD_ROLE_ARNS": allowed + "," + refused}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h, err := function.New(ctx, cfg, function.Deps{Logger: slog.New(slog.DiscardHandler), Metrics: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		Name    string `json:"connectionName"`
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
