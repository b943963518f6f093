#!/usr/bin/env bash
# Reproduces the course's lesson on threads, processes and the GIL
# (docs/LESSON-RUNS.md): runs a CPU-bound job (primes) and an I/O-bound job
# (sleep) in every mode, primes with and without -gil, prints the comparison
# tables, and checks the ratios that the lesson predicts for a 2-core machine:
#
#   primes, 2 workers:  thread-gil speedup <= 1.2, process speedup >= 1.6
#   sleep,  8 workers:  thread-gil speedup >= 4
#
# It exits 1 when a ratio is off or the modes' outputs differ. Timings are
# only meaningful on an otherwise idle machine: the load average is printed
# first. Reports and plots go to OUT (default: a new temporary directory).
#
# usage: scripts/lesson.sh [OUT]
#   IMG=docs/img scripts/lesson.sh   also redraws docs/img/speedup-*.png
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d -t brine-lesson.XXXXXX)}
mkdir -p "$out"

if ! command -v jq >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		apt-get install -y -qq jq >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq jq >/dev/null; }
	fi
	command -v jq >/dev/null || { echo "lesson.sh needs jq to read the reports" >&2; exit 2; }
fi

go build -o bin/ ./cmd/coordinator ./cmd/worker

echo "machine: $(nproc) CPUs, $(go env GOVERSION), load average $(cut -d' ' -f1-3 /proc/loadavg)"

# run NAME ARGS...: runs the coordinator, showing the command and its table.
run() {
	local name=$1
	shift
	echo
	echo "\$ coordinator $*"
	bin/coordinator "$@" -no-progress -report "$out/$name.json"
}

run primes-nogil -workers 2 -job primes -tasks 40 -size 200000 -mode all
run primes -workers 2 -job primes -tasks 40 -size 200000 -mode all -gil
run sleep -workers 8 -job sleep -tasks 40 -size 20 -mode all -gil

if [ -n "${IMG:-}" ]; then
	mkdir -p "$IMG"
	run sweep-primes -sweep 1,2,4,8 -job primes -tasks 40 -size 200000 -mode all -gil -plot "$IMG/speedup-primes.png"
	run sweep-sleep -sweep 1,2,4,8 -job sleep -tasks 40 -size 20 -mode all -gil -plot "$IMG/speedup-sleep.png"
fi

echo
echo "the lesson's ratios (speedup = serial wall / wall):"
status=0
# check REPORT MODE OP BOUND: the speedup of MODE in REPORT satisfies OP BOUND.
check() {
	local v
	v=$(jq -r --arg m "$2" '.runs[] | select(.mode == $m) | .speedup' "$out/$1.json")
	if awk -v v="$v" -v op="$3" -v b="$4" 'BEGIN { exit !((op == "<=") ? v <= b : v >= b) }'; then
		printf '  %-7s %-11s speedup %5.2f   want %s %s   ok\n' "$1" "$2" "$v" "$3" "$4"
	else
		printf '  %-7s %-11s speedup %5.2f   want %s %s   FAILED\n' "$1" "$2" "$v" "$3" "$4"
		status=1
	fi
}
check primes thread-gil '<=' 1.2
check primes process '>=' 1.6
check sleep thread-gil '>=' 4
for name in primes-nogil primes sleep; do
	if [ "$(jq -r '.comparison.identical_outputs' "$out/$name.json")" = true ]; then
		echo "  $name: identical outputs in all $(jq '.runs | length' "$out/$name.json") modes"
	else
		echo "  $name: the modes' outputs DIFFER"
		status=1
	fi
done
echo "reports: $out"
exit $status
