package main

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

// commandEnv runs the command mode against an emulator loaded with the demo
// data, in this process: the environment is the command's configuration.
func commandEnv(t *testing.T) *apprunnerlocal.Server {
	t.Helper()
	emu := apprunnerlocal.New(apprunnerlocal.Options{})
	if err := emu.Load(apprunnerlocal.DemoSeed()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(emu)
	t.Cleanup(hs.Close)
	env := apprunnerlocal.SDKEnv(hs.URL, "us-east-1")
	env["AWS_LAMBDA_RUNTIME_API"], env["ACCOUNT_ID"], env["DRY_RUN"] = "", "", ""
	env["UNUSED_FOR"] = "0s" // the sample sweep's decisions at once
	for k, v := range env {
		t.Setenv(k, v)
	}
	return emu
}

type commandReport struct {
	DryRun  bool           `json:"dryRun"`
	Counts  map[string]int `json:"counts"`
	Results []struct {
		Name    string `json:"resourceName"`
		Outcome string `json:"outcome"`
		Reason  string `json:"reason"`
	} `json:"results"`
}

func TestCommandHandlesOneEventAndPrintsTheReport(t *testing.T) {
	sweep := filepath.Join("..", "..", "events", "05-scheduled-sweep.json")
	tests := []struct {
		name        string
		args        []string
		stdin       string
		dryRun      string // DRY_RUN
		wantDryRun  bool
		wantDeleted bool
		// wantBy is what the would_delete reasons say made the dry run.
		wantBy string
	}{
		{"--event with --dry-run", []string{"--event", sweep, "--dry-run"}, "", "false", true, false, "dry run (--dry-run): "},
		{"standard input with --dry-run", []string{"--dry-run"}, `{"action":"sweep"}`, "false", true, false, "dry run (--dry-run): "},
		{"--event with DRY_RUN=false deletes", []string{"--event", sweep}, "", "false", false, true, ""},
		{"--event with DRY_RUN unset is a dry run", []string{"--event", sweep}, "", "", true, false, "dry run (DRY_RUN is on): "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := commandEnv(t)
			t.Setenv("DRY_RUN", tt.dryRun)
			var stdout, stderr bytes.Buffer

			err := run(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)

			if err != nil {
				t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
			}
			var rep commandReport
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				t.Fatalf("stdout is not the report: %v\n%s", err, stdout.String())
			}
			for _, r := range rep.Results {
				if r.Outcome == "would_delete" && !strings.HasPrefix(r.Reason, tt.wantBy) {
					t.Errorf("%s: reason %q, want it to start %q", r.Name, r.Reason, tt.wantBy)
				}
			}
			deleted := emu.Stats().Calls["DeleteConnection"] > 0
			if rep.DryRun != tt.wantDryRun || deleted != tt.wantDeleted {
				t.Errorf("dryRun %v, App Runner deleted %v; want %v, %v", rep.DryRun, deleted, tt.wantDryRun, tt.wantDeleted)
			}
			// On the fresh demo data, 7 of the account's 11 connections
			// are free and old enough (events/README.md).
			decided := rep.Counts["would_delete"] + rep.Counts["deleted"]
			if decided != 7 || len(rep.Results) != 11 || rep.Counts["in_use"] != 2 {
				t.Errorf("counts %v over %d results, want 7 deleted or would_delete and 2 in_use of 11", rep.Counts, len(rep.Results))
			}
			// Logs and metrics go to stderr, so that stdout pipes.
			if !strings.Contains(stderr.String(), `"decision"`) || !strings.Contains(stderr.String(), `"CloudWatchMetrics"`) {
				t.Errorf("stderr lacks the decision logs or the metrics record:\n%s", stderr.String())
			}
		})
	}
}

func TestCommandRefusesWrongUse(t *testing.T) {
	tests := []struct {
		name, errPart string
		args          []string
	}{
		{"positional argument", "unexpected arguments", []string{"events/05-scheduled-sweep.json"}},
		{"unknown flag", "flag provided but not defined", []string{"--force"}},
		{"missing event file", "read event", []string{"--event", filepath.Join(t.TempDir(), "none.json")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := commandEnv(t)
			var stdout, stderr bytes.Buffer

			err := run(tt.args, strings.NewReader(""), &stdout, &stderr)

			if err == nil || !strings.Contains(err.Error(), tt.errPart) {
				t.Errorf("error = %v, want one saying %q", err, tt.errPart)
			}
			if n := emu.Stats().Total(); n != 0 {
				t.Errorf("%d calls made for a wrong command", n)
			}
		})
	}
}
