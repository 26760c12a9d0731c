package main

import (
	"reflect"
	"testing"

	"github.com/apprunner-tools/connection-cleanup/internal/benchrun"
)

func TestParseSizes(t *testing.T) {
	got, err := parseSizes("10:30, 1000:3000")
	if err != nil {
		t.Fatal(err)
	}
	want := []benchrun.Population{benchrun.NewPopulation(10, 30), benchrun.NewPopulation(1000, 3000)}
	if len(got) != len(want) || !reflect.DeepEqual(got, want) {
		t.Errorf("parseSizes = %+v, want %+v", got, want)
	}
	for _, bad := range []string{"", "10", "10:", "a:3", "10:-1", "10:30,"} {
		if _, err := parseSizes(bad); err == nil {
			t.Errorf("parseSizes(%q) accepted", bad)
		}
	}
}

func TestRunRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{{}, {"-out", "x", "extra"}, {"-out", "x", "-sizes", "1"}, {"-out", "x", "-memory", "1:2,3:4"}, {"-out", "x", "-plan-sample", "5"}} {
		if err := run(t.Context(), args, &discard{}); err == nil {
			t.Errorf("run(%q) accepted", args)
		}
	}
}

func TestParsePlan(t *testing.T) {
	got, err := parsePlan(1000, "5x4", "us-east-1, eu-west-1", "4:3", 40, "2,10,50")
	if err != nil {
		t.Fatal(err)
	}
	if got.Shape.Accounts != 1000 || len(got.Shape.Fanout) != 2 || got.Shape.Fanout[0] != 5 || got.Shape.Fanout[1] != 4 ||
		len(got.Regions) != 2 || got.Regions[1] != "eu-west-1" || !reflect.DeepEqual(got.Population, benchrun.NewPopulation(4, 3)) ||
		got.Sample != 40 || len(got.MaxConcurrency) != 3 || got.MaxConcurrency[2] != 50 {
		t.Errorf("parsePlan = %+v", got)
	}
	if flat, err := parsePlan(30, "", "us-east-1", "1:1", 20, "2"); err != nil || len(flat.Shape.Fanout) != 0 {
		t.Errorf("parsePlan without OUs = %+v, %v", flat, err)
	}
	if none, err := parsePlan(0, "x", "", "", 0, ""); err != nil || none.Shape.Accounts != 0 {
		t.Errorf("parsePlan(0, ...) = %+v, %v; want no plan", none, err)
	}
	for _, bad := range []struct {
		accounts     int
		ous, regions string
		pop          string
		sample       int
		m            string
	}{
		{-1, "5x4", "us-east-1", "4:3", 40, "2"},
		{1001, "5x4", "us-east-1", "4:3", 40, "2"},       // more than one plan reaches
		{1000, "5x0", "us-east-1", "4:3", 40, "2"},       // an empty level
		{1000, "2x2x2x2x2", "us-east-1", "4:3", 40, "2"}, // deeper than five levels below the root
		{1000, "5x4", " , ", "4:3", 40, "2"},
		{1000, "5x4", "us-east-1", "4", 40, "2"},
		{1000, "5x4", "us-east-1", "4:3", 19, "2"}, // no warm batch
		{5, "", "us-east-1", "4:3", 20, "2"},       // more than the plan's work items
		{1000, "5x4", "us-east-1", "4:3", 40, "1"}, // below MaximumConcurrency's least
		{1000, "5x4", "us-east-1", "4:3", 40, "2,x"},
	} {
		if _, err := parsePlan(bad.accounts, bad.ous, bad.regions, bad.pop, bad.sample, bad.m); err == nil {
			t.Errorf("parsePlan(%+v) accepted", bad)
		}
	}
}

type discard struct{}

func (*discard) Write(p []byte) (int, error) { return len(p), nil }

func TestParseAll(t *testing.T) {
	if c, s, n, ok := parseAll("1000:3000:300"); !ok || c != 1000 || s != 3000 || n != 300 {
		t.Errorf("parseAll = %d, %d, %d, %v", c, s, n, ok)
	}
	for _, bad := range []string{"", "10:30", "0:30:3", "a:3:3", "10:30:-1"} {
		if _, _, _, ok := parseAll(bad); ok {
			t.Errorf("parseAll(%q) accepted", bad)
		}
	}
}
