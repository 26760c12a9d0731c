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
	echo
	echo "The machines these run on are shared and noisy: compare the ratios within one run,"
	echo "not absolute times across runs. What each benchmark answers:"
	echo
	echo "- \`DryRunSweep\`: a whole sweep decision (index, policy, tags) against the emulator,"
	echo "  with the usage index rebuilt (a cold function) and reused (a warm one within"
	echo "  \`USAGE_INDEX_TTL\`). \`calls/run\` is App Runner calls per sweep; reused should need"
	echo "  about a third of the calls and time of rebuilt."
	echo "- \`IndexConcurrency\`: the same sweep with 2 ms added to every call, one call at a time"
	echo "  versus the default eight; eight should be several times faster."
	echo "- \`DeleteNamed\`: named deletions among 200 connections and services: a filtered lookup"
	echo "  per name for a few, one full listing above ten."
	echo
	echo "Command:"
	echo
	echo '```sh'
	echo "go test -run '^\$' -bench . -benchmem${BENCHFLAGS:+ $BENCHFLAGS} ./..."
	echo '```'
	echo
	echo '```'
	grep -Ev '^(\?|PASS$|ok )' "$raw" || true
	echo '```'
} >"$out"
echo "wrote $out"
