package request

import (
	"regexp"
	"strings"
	"sync"
)

// secretPattern matches what looks like a credential in text a sender
// wrote, each alternative as a part to keep and the secret after it: the
// prefixed tokens of GitHub, GitLab and Slack and AWS access key IDs; the
// value after an HTTP authorization scheme; the string value of a JSON
// field whose name says it holds a secret. Compiled on first use: most
// invocations reject nothing, and the function's start must not pay for
// it.
var secretPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(
		`()\b(gh[pousr]_[A-Za-z0-9]{10,}|github_pat_[A-Za-z0-9_]{10,}|glpat-[A-Za-z0-9_-]{10,}|xox[abprs]-[A-Za-z0-9-]{10,}|(?:AKIA|ASIA)[A-Z0-9]{16})` +
			`|((?i)\b(?:bearer|basic|token)\s+)([A-Za-z0-9._~+/=-]{8,})` +
			`|((?i)"[^"]*(?:token|secret|password|passwd|apikey|api_key|credential|authorization)[^"]*"\s*:\s*)("(?:[^"\\]|\\.)*")`)
})

// Redacted stands in for a credential-looking part of quoted input.
const Redacted = "[redacted]"

// Redact replaces what looks like a credential in s with Redacted, so that
// a token pasted by mistake into a message is not copied into logs,
// reports and dead-letter notifications. Rejected input is quoted so that
// a person can fix it; the rest of it still says enough to.
func Redact(s string) string {
	re := secretPattern()
	matches := re.FindAllStringSubmatchIndex(s, -1)
	if matches == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range matches {
		// Of the three (keep, secret) pairs, one matched.
		for g := 2; g+3 < len(m); g += 4 {
			keepStart, secretStart, secretEnd := m[g], m[g+2], m[g+3]
			if secretStart < 0 {
				continue
			}
			b.WriteString(s[last:keepStart])
			b.WriteString(s[keepStart:secretStart])
			if s[secretStart] == '"' {
				b.WriteString(`"` + Redacted + `"`)
			} else {
				b.WriteString(Redacted)
			}
			last = secretEnd
			break
		}
	}
	b.WriteString(s[last:])
	return b.String()
}
