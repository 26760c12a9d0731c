package cleanup

import (
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
