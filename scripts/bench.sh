#!/usr/bin/env bash
# Runs the benchmarks and writes them, with the machine, the date and the
# command that produced them, to a Markdown file:
#   1. go run ./cmd/bench: dry-run sweeps of the cleanup function against the
#      App Runner emulator at 30 ms a call, beside their lower bound; the
#      function's INIT beside a hello-world function's; the peak RSS of a
#      large sweep; a dry-run sweep of every kind (RESOURCE_TYPES=all) beside
#      its bound; an organization plan of 1,000 accounts × 4 regions, its
#      planning beside its bound, a sample of its work items run as SQS
#      batches, the whole plan's projected wall time, and every work item
#      run under Organizations' throttle (see internal/benchrun);
#   2. the go test micro-benchmarks of the engine.
# Usage: scripts/bench.sh [OUTPUT]   (default bench-results/BENCHMARKS.md, which
# git ignores). BENCH_ARGS passes flags to cmd/bench (go run ./cmd/bench -h
# lists them), BENCHFLAGS to go test (e.g. -count=5); BENCH_REVISION names the
# source where git cannot (an exported tree). OUTPUT is written only when
# everything has run.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-bench-results/BENCHMARKS.md}
if [ -n "${MAKELEVEL:-}" ]; then
	shown="make bench OUT=$out"
else
	shown="scripts/bench.sh $out"
fi
[ -z "${BENCHFLAGS:-}" ] || shown="BENCHFLAGS='$BENCHFLAGS' $shown"
[ -z "${BENCH_ARGS:-}" ] || shown="BENCH_ARGS='$BENCH_ARGS' $shown"
revision=${BENCH_REVISION:-$(git describe --always --dirty 2>/dev/null || true)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS

# shellcheck disable=SC2086 # BENCH_ARGS and BENCHFLAGS are lists of flags
go run ./cmd/bench -out "$tmp/harness.md" -command "$shown" -revision "$revision" ${BENCH_ARGS:-}
# shellcheck disable=SC2086
go test -run '^$' -bench . -benchmem ${BENCHFLAGS:-} ./... | tee "$tmp/gotest.txt"

mkdir -p "$(dirname "$out")"
{
	cat "$tmp/harness.md"
	echo "## go test micro-benchmarks"
	echo
	echo "The engine's own costs, in process, with the emulator behind the real SDK client:"
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
	echo '```sh'
	echo "go test -run '^\$' -bench . -benchmem${BENCHFLAGS:+ $BENCHFLAGS} ./..."
	echo '```'
	echo
	echo '```'
	grep -Ev '^(\?|PASS$|ok )' "$tmp/gotest.txt" || true
	echo '```'
	echo
	echo "The whole run took $((SECONDS - start)) s, building included."
} >"$tmp/out.md"
mv "$tmp/out.md" "$out"
echo "wrote $out"
