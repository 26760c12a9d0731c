package cleanup

import (
	"slices"
	"testing"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/request"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
)

func TestDescriptionIsReusedOnlyWhileNothingSuggestsAChange(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	running := describedService{updatedAt: t0, ref: request.ServiceRef{Status: "RUNNING"}}
	busy := describedService{updatedAt: t0, ref: request.ServiceRef{Status: "OPERATION_IN_PROGRESS"}}
	tests := []struct {
		name string
		sum  types.ServiceSummary
		d    describedService
		want bool
	}{
		{"unchanged", types.ServiceSummary{UpdatedAt: aws.Time(t0), Status: types.ServiceStatusRunning}, running, true},
		{"updated since", types.ServiceSummary{UpdatedAt: aws.Time(t0.Add(time.Second)), Status: types.ServiceStatusRunning}, running, false},
		{"status changed", types.ServiceSummary{UpdatedAt: aws.Time(t0), Status: types.ServiceStatusPaused}, running, false},
		{"operation under way", types.ServiceSummary{UpdatedAt: aws.Time(t0), Status: types.ServiceStatusOperationInProgress}, busy, false},
		{"no UpdatedAt", types.ServiceSummary{Status: types.ServiceStatusRunning}, running, false},
	}
	for _, tt := range tests {
		if got := reusable(tt.sum, tt.d); got != tt.want {
			t.Errorf("%s: reusable = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestInvalidatedCacheIsNotRefilledByARunThatStartedBefore(t *testing.T) {
	var c indexCache
	now := time.Now()
	c.put(&usageIndex{builtAt: now}, 0)
	_, gen := c.get(now, time.Minute) // a run starts from the cached index
	c.invalidate()                    // another run learns it is stale
	c.put(&usageIndex{builtAt: now}, gen)
	if idx, _ := c.get(now, time.Minute); idx != nil {
		t.Error("a run that started before the invalidation put its index back")
	}
}

// TestAPartialARNUsesEveryRevisionItMayMean: a service that names an
// observability configuration by NAME (the latest revision) or
// NAME/REVISION uses every revision that may be, as far as the index
// tells: a partial ARN never makes a configuration look free.
func TestAPartialARNUsesEveryRevisionItMayMean(t *testing.T) {
	const base = "arn:aws:apprunner:us-east-1:123456789012:observabilityconfiguration/tracing"
	rev := func(n string) string { return base + "/" + n + "/0123456789abcdef0123456789abcdef" }
	byName := request.ServiceRef{ServiceName: "by-name"}
	byRevision := request.ServiceRef{ServiceName: "by-revision"}
	full := request.ServiceRef{ServiceName: "full"}
	idx := &usageIndex{users: map[string][]request.ServiceRef{
		base:             {byName},
		base + "/2":      {byRevision},
		rev("3"):         {full},
		base + "-old/1/": {{ServiceName: "another name"}},
	}}
	for _, tt := range []struct {
		arn  string
		want []request.ServiceRef
	}{
		{rev("1"), []request.ServiceRef{byName}},
		{rev("2"), []request.ServiceRef{byName, byRevision}},
		{rev("3"), []request.ServiceRef{full, byName}},
	} {
		if got := idx.usersOf(tt.arn); !slices.Equal(got, tt.want) {
			t.Errorf("usersOf(%s) = %v, want %v", tt.arn, got, tt.want)
		}
	}
}
