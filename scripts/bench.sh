#!/usr/bin/env bash
# Runs brine's benchmarks beside the anchors, interleaved, and prints every
# brine figure as a ratio to its anchor; then re-measures alone the anchors
# the targets rest on, and leaves a target "not judged" when its anchor was
# unsteady (over 2x across repetitions) or over 2x off itself alone. Writes
# the table to bench/RESULTS.md.
# make bench builds bin/coordinator and the workers first; this script builds
# bin/rawpipe (the raw pipe, spawn and futex limits) and bin/driver, then
# runs the driver.
#
#   scripts/bench.sh                  # 5 repetitions, within 10 minutes on 2 cores
#   BENCH_REPS=7 scripts/bench.sh     # more repetitions (BENCH_BUDGET, seconds, caps the time)
#   BENCH_QUICK=1 scripts/bench.sh    # smoke test: 1 repetition, small counts; keeps RESULTS.md
#   scripts/bench.sh -quick -out /tmp/q.md   # driver flags pass through (-h lists them)
#
# Environment: BRINE_SHARED (default <repo>/../shared) locates anchors/;
# BRINE_PYTHON skips resolving the interpreter behind python3.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

for b in coordinator worker worker-pipe worker-plugin; do
	[[ -x bin/$b ]] || { echo "bench.sh: bin/$b is missing: run make bench (or make build) first" >&2; exit 1; }
done
go build -o bin/rawpipe ./bench/rawpipe
go build -o bin/driver ./bench/driver

# python3 on PATH may be a shim (pyenv) that adds ~140 ms to every start;
# resolve the real interpreter once for every anchor.
BRINE_PYTHON=${BRINE_PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}
export BRINE_PYTHON

start=$SECONDS
bin/driver "$@"
echo "bench: $((SECONDS - start)) s" >&2
