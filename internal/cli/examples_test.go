package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// exampleARN finds connection ARNs in text; placeholders in capitals
// (arn:aws:apprunner:REGION:ACCOUNT:connection/NAME/ID) are not examples.
var exampleARN = regexp.MustCompile("arn:aws[a-z-]*:apprunner:[^\\s\"'`)<>,\\\\]*:connection/[^\\s\"'`)<>,\\\\]+")

// TestEveryExampleARNPassesTheToolsValidation: a newcomer copies the
// examples of the README, the docs and the help first.
func TestEveryExampleARNPassesTheToolsValidation(t *testing.T) {
	texts := map[string]string{"apprunner-cleanup --help": topHelp}
	for cmd, text := range commandText {
		texts["apprunner-cleanup help "+cmd] = text
	}
	docs, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(docs, filepath.Join("..", "..", "README.md"), filepath.Join("..", "..", "events", "README.md"),
		filepath.Join("..", "..", "cmd", "apprunner-cleanup", "main.go")) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts[f] = string(b)
	}
	found := 0
	for where, text := range texts {
		for _, arn := range exampleARN.FindAllString(text, -1) {
			if strings.Contains(arn, ":REGION:") {
				continue
			}
			found++
			if _, err := request.ParseConnectionARN(arn); err != nil {
				t.Errorf("%s: example %s: %v", where, arn, err)
			}
		}
	}
	if found < 5 {
		t.Fatalf("found %d example ARNs: the pattern no longer matches the docs", found)
	}
}
