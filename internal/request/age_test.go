package request_test

import (
	"strings"
	"testing"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// TestAgesTakeDaysAsOperatorsWriteThem: MIN_CONNECTION_AGE=7d is a week,
// and what is no duration says the forms it takes.
func TestAgesTakeDaysAsOperatorsWriteThem(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"7d", 7 * 24 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"0d", 0, true},
		{" 48h ", 48 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"d", 0, false},
		{"-1d", 0, false},
		{"1d-1h", 0, false},
		{"1.5d", 0, false},
		{"1 day", 0, false},
		{"-5m", 0, false},
	} {
		got, err := request.ParseAge(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseAge(%q) = %s, %v; want %s, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "48h, 90m or 7d") {
			t.Errorf("ParseAge(%q): %v, want the forms named", tt.in, err)
		}
	}
}
