#!/usr/bin/env bash
# Runs every benchmark of the module and writes the results, with the command
# that produced them and the machine they ran on, to a Markdown file.
# Usage: scripts/bench.sh [OUTPUT]   (default BENCHMARKS.md; extra go test
# flags such as -count=5 may be passed in BENCHFLAGS)
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-BENCHMARKS.md}
cmd=(go test -run '^$' -bench . -benchmem ${BENCHFLAGS:-} ./...)
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT

"${cmd[@]}" | tee "$raw"

{
	echo "# Benchmarks"
	echo
	echo "Written by \`make bench\` on $(date -u +%Y-%m-%d) with $(go version | cut -d' ' -f3-)."
	echo "Command:"
	echo
	echo '```sh'
	echo "go test -run '^\$' -bench . -benchmem${BENCHFLAGS:+ $BENCHFLAGS} ./..."
	echo '```'
	echo
	echo '```'
	grep -Ev '^(\?|PASS$)' "$raw" || true
	echo '```'
} >"$out"
echo "wrote $out"
