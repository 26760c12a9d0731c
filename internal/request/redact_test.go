package request_test

import (
	"testing"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

func TestRedactReplacesWhatLooksLikeACredential(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a GitHub token", "token ghp_0123456789abcdefABCDEF0123456789abcd here", "token [redacted] here"},
		{"a fine-grained GitHub token", "github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "[redacted]"},
		{"a GitLab token", "glpat-abcdefghij0123456789", "[redacted]"},
		{"a Slack token", "xoxb-1234567890-abcdefghij", "[redacted]"},
		{"an AWS access key ID", "key AKIAIOSFODNN7EXAMPLE,", "key [redacted],"},
		{"a bearer token", "Authorization: Bearer abc.def.ghi-jkl", "Authorization: Bearer [redacted]"},
		{"a JSON secret field", `{"action":"sweep","apiToken":"s3cr3t value"}`, `{"action":"sweep","apiToken":"[redacted]"}`},
		{"a JSON password with an escaped quote", `{"password" : "a\"b"}`, `{"password" : "[redacted]"}`},
		{"two at once", "ghp_aaaaaaaaaaaaaaaa and AKIAAAAAAAAAAAAAAAAA", "[redacted] and [redacted]"},
		// What a person needs to fix the input stays.
		{"a connection ARN", "arn:aws:apprunner:us-east-1:123456789012:connection/MyConn/0123456789abcdef0123456789abcdef",
			"arn:aws:apprunner:us-east-1:123456789012:connection/MyConn/0123456789abcdef0123456789abcdef"},
		{"a request", `{"action":"delete","connectionArns":["x"],"dryRun":true}`, `{"action":"delete","connectionArns":["x"],"dryRun":true}`},
		{"a word that only starts like a token", "ghp_short", "ghp_short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := request.Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRejectionResultsAreRedacted(t *testing.T) {
	res := request.Reject("m-1", `{"action":"sweep","token":"ghp_0123456789abcdefABCDEF"}`, `unknown field "ghp_0123456789abcdefABCDEF"`).Result()
	if res.ARN != `{"action":"sweep","token":"[redacted]"}` || res.Reason != `unknown field "[redacted]"` {
		t.Errorf("result input %q, reason %q; want both redacted", res.ARN, res.Reason)
	}
}
