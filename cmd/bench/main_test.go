package main

import (
	"testing"

	"github.com/apprunner-tools/connection-cleanup/internal/benchrun"
)

func TestParseSizes(t *testing.T) {
	got, err := parseSizes("10:30, 1000:3000")
	if err != nil {
		t.Fatal(err)
	}
	want := []benchrun.Population{benchrun.NewPopulation(10, 30), benchrun.NewPopulation(1000, 3000)}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("parseSizes = %+v, want %+v", got, want)
	}
	for _, bad := range []string{"", "10", "10:", "a:3", "10:-1", "10:30,"} {
		if _, err := parseSizes(bad); err == nil {
			t.Errorf("parseSizes(%q) accepted", bad)
		}
	}
}

func TestRunRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{{}, {"-out", "x", "extra"}, {"-out", "x", "-sizes", "1"}, {"-out", "x", "-memory", "1:2,3:4"}} {
		if err := run(t.Context(), args, &discard{}); err == nil {
			t.Errorf("run(%q) accepted", args)
		}
	}
}

type discard struct{}

func (*discard) Write(p []byte) (int, error) { return len(p), nil }
