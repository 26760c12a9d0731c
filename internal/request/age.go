package request

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseAge reads a non-negative duration as operators write one: a Go
// duration (24h, 90m, 1h30m) or a number of days, alone or before one
// (7d, 1d12h).
func ParseAge(s string) (time.Duration, error) {
	bad := fmt.Errorf("want a non-negative duration such as 48h, 90m or 7d")
	s = strings.TrimSpace(s)
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.ParseUint(s[:i], 10, 16)
		if err != nil {
			return 0, bad
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, bad
	}
	return days + d, nil
}
