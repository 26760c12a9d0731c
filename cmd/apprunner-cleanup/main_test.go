package main

import (
	"os"
	"testing"
)

// TestIsTerminal: neither a pipe nor the null device (a character device
// too, what cron and </dev/null give) passes for a terminal, so --delete
// never asks where no one can answer.
func TestIsTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { null.Close() })
	file, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { file.Close() })
	for name, f := range map[string]*os.File{"pipe": r, "null device": null, "file": file} {
		if isTerminal(f) {
			t.Errorf("%s taken for a terminal", name)
		}
	}
}
