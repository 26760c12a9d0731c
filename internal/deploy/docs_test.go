package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The README and docs/*.md show commands to run on a fresh clone. These
// tests check what can be checked without AWS: make targets, repository
// paths, the operator's subcommands and flags, and local links.

const repoRoot = "../.."

// docFiles returns README.md and docs/*.md, relative to the repository root.
func docFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no docs/*.md")
	}
	out := []string{"README.md"}
	for _, f := range files {
		rel, err := filepath.Rel(repoRoot, f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, filepath.ToSlash(rel))
	}
	return out
}

func readDoc(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

var (
	fenceRe      = regexp.MustCompile("(?ms)^ *```([a-z]*)\\n(.*?)^ *```")
	inlineCodeRe = regexp.MustCompile("`([^`\\n]+)`")
)

// shellBlocks returns the bodies of the ```sh and ```bash blocks, with
// backslash-continued lines joined.
func shellBlocks(text string) []string {
	var out []string
	for _, m := range fenceRe.FindAllStringSubmatch(text, -1) {
		if m[1] == "sh" || m[1] == "bash" || m[1] == "shell" {
			out = append(out, strings.ReplaceAll(m[2], "\\\n", " "))
		}
	}
	return out
}

// commandTexts returns the places commands are shown: each line of a shell
// block and each inline code span outside fenced blocks.
func commandTexts(text string) []string {
	var out []string
	for _, b := range shellBlocks(text) {
		for line := range strings.SplitSeq(b, "\n") {
			if i := strings.Index(line, " #"); i >= 0 {
				line = line[:i]
			}
			out = append(out, line)
		}
	}
	prose := fenceRe.ReplaceAllString(text, "")
	for _, m := range inlineCodeRe.FindAllStringSubmatch(prose, -1) {
		out = append(out, m[1])
	}
	return out
}

// makeTargets returns the targets the Makefile defines.
func makeTargets(t *testing.T) map[string]bool {
	t.Helper()
	targets := map[string]bool{}
	re := regexp.MustCompile(`(?m)^([A-Za-z0-9_./-]+(?: [A-Za-z0-9_./-]+)*):([^=]|$)`)
	for _, m := range re.FindAllStringSubmatch(readDoc(t, "Makefile"), -1) {
		for name := range strings.FieldsSeq(m[1]) {
			targets[name] = true
		}
	}
	if !targets["demo"] || !targets["test"] {
		t.Fatalf("Makefile targets %v lack demo or test", targets)
	}
	return targets
}

var quotedRe = regexp.MustCompile(`'[^']*'|"[^"]*"`)

var makeCallRe = regexp.MustCompile(`(?:^|[\s;&|(])make((?: +[^\s;&|)#]+)*)`)

func TestDocsMakeTargetsExist(t *testing.T) {
	targets := makeTargets(t)
	for _, name := range docFiles(t) {
		seen := 0
		for _, cmd := range commandTexts(readDoc(t, name)) {
			for _, m := range makeCallRe.FindAllStringSubmatch(cmd, -1) {
				seen++
				for arg := range strings.FieldsSeq(quotedRe.ReplaceAllString(m[1], "")) {
					if strings.Contains(arg, "=") || strings.HasPrefix(arg, "-") || arg == "/" {
						continue // a variable, a flag, or "make / make help"
					}
					if !targets[arg] {
						t.Errorf("%s: %q names make target %q, which the Makefile does not define", name, strings.TrimSpace(cmd), arg)
					}
				}
			}
		}
		if name == "README.md" && seen == 0 {
			t.Errorf("README.md shows no make command")
		}
	}
}

// Repository paths: a top directory of the repository followed by a path,
// or a file at the top, standing alone (not inside a URL or a module path).
var (
	repoPathRe = regexp.MustCompile("(?:^|[\\s`(\\[\"'=]|\\./|file://)((?:cmd|internal|events|docs|scripts|tools)/[A-Za-z0-9_.*/-]*|(?:template|member-role)\\.yaml|samconfig\\.toml|BENCHMARKS\\.md|Makefile)")
	linkRe     = regexp.MustCompile(`\[[^\]]*\]\(([^)\s]+)\)`)
)

func TestDocsRepositoryPathsExist(t *testing.T) {
	for _, name := range docFiles(t) {
		text := readDoc(t, name)
		for _, m := range repoPathRe.FindAllStringSubmatch(text, -1) {
			p := strings.TrimRight(m[1], ".,:;")
			matches, err := filepath.Glob(filepath.Join(repoRoot, p))
			if err != nil || len(matches) == 0 {
				t.Errorf("%s mentions %s, which does not exist", name, p)
			}
		}
	}
}

// slug is GitHub's anchor of a heading.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchors returns the anchors of a markdown file's headings.
func anchors(t *testing.T, name string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	text := fenceRe.ReplaceAllString(readDoc(t, name), "")
	for _, m := range regexp.MustCompile(`(?m)^#{1,6} (.+)$`).FindAllStringSubmatch(text, -1) {
		out[slug(m[1])] = true
	}
	return out
}

func TestDocsLocalLinksResolve(t *testing.T) {
	for _, name := range append(docFiles(t), "events/README.md") {
		text := fenceRe.ReplaceAllString(readDoc(t, name), "")
		for _, m := range linkRe.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			rel := name
			if file != "" {
				rel = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(name), file)))
				if _, err := os.Stat(filepath.Join(repoRoot, rel)); err != nil {
					t.Errorf("%s links to %s, which does not exist", name, target)
					continue
				}
			}
			if anchor != "" && strings.HasSuffix(rel, ".md") && !anchors(t, rel)[anchor] {
				t.Errorf("%s links to %s: %s has no heading with anchor #%s", name, target, rel, anchor)
			}
		}
	}
}

// The README links every file of docs/.
func TestREADMELinksEveryDoc(t *testing.T) {
	readme := readDoc(t, "README.md")
	for _, name := range docFiles(t)[1:] {
		if !strings.Contains(readme, "]("+name) {
			t.Errorf("README.md does not link %s", name)
		}
	}
}

var cliCallRe = regexp.MustCompile(`apprunner-cleanup((?: +[^\s|;&#)]+)*)`)

func TestDocsOperatorCommandsExist(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "apprunner-cleanup")
	build := exec.Command("go", "build", "-o", bin, "./cmd/apprunner-cleanup")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/apprunner-cleanup: %v\n%s", err, out)
	}
	help := map[string]string{}
	helpOf := func(sub string) (string, bool) {
		if h, ok := help[sub]; ok {
			return h, h != ""
		}
		out, err := exec.Command(bin, "help", sub).CombinedOutput()
		if err != nil {
			help[sub] = ""
			return "", false
		}
		help[sub] = string(out)
		return help[sub], true
	}
	flagRe := regexp.MustCompile(`(?:^|[\s,])(--?[a-z][a-z-]*)`)
	checked := 0
	for _, name := range docFiles(t) {
		for _, cmd := range commandTexts(readDoc(t, name)) {
			for _, m := range cliCallRe.FindAllStringSubmatch(cmd, -1) {
				args := strings.Fields(m[1])
				if len(args) == 0 || strings.HasPrefix(args[0], "-") {
					continue // the command's name alone
				}
				sub := args[0]
				if sub == "help" || sub == "version" {
					if len(args) > 1 {
						if _, ok := helpOf(args[1]); !ok {
							t.Errorf("%s: %q: apprunner-cleanup has no command %q", name, strings.TrimSpace(cmd), args[1])
						}
					}
					continue
				}
				h, ok := helpOf(sub)
				if !ok {
					t.Errorf("%s: %q: apprunner-cleanup has no command %q", name, strings.TrimSpace(cmd), sub)
					continue
				}
				var known []string
				for _, f := range flagRe.FindAllStringSubmatch(h, -1) {
					known = append(known, strings.TrimLeft(f[1], "-"))
				}
				for _, a := range args[1:] {
					if !strings.HasPrefix(a, "-") {
						continue
					}
					flag, _, _ := strings.Cut(a, "=")
					// The flag package takes -name and --name alike.
					if !slices.Contains(known, strings.TrimLeft(flag, "-")) {
						t.Errorf("%s: %q: apprunner-cleanup %s has no flag %s (help %s lists %v)", name, strings.TrimSpace(cmd), sub, flag, sub, known)
					}
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Error("no apprunner-cleanup command found in README.md or docs/")
	}
}

// TestEveryParameterIsDocumented: an operator finds every parameter of the
// cleanup stack in docs/configuration.md, and every parameter of the member
// role in the docs that describe it.
func TestEveryParameterIsDocumented(t *testing.T) {
	for _, tt := range []struct {
		template map[string]any
		docs     []string
	}{
		{loadTemplate(t), []string{"docs/configuration.md"}},
		{loadMemberRole(t), []string{"docs/permissions.md", "docs/triggers.md"}},
	} {
		var text string
		for _, d := range tt.docs {
			text += readDoc(t, d)
		}
		params, _ := tt.template["Parameters"].(map[string]any)
		for name := range params {
			if !strings.Contains(text, "`"+name+"`") {
				t.Errorf("parameter %s is not named (as `%s`) in %v", name, name, tt.docs)
			}
		}
	}
}
