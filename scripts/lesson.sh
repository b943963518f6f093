#!/usr/bin/env bash
# Reproduces the course's lesson on threads, processes and the GIL
# (docs/LESSON-RUNS.md): runs a CPU-bound job (primes) and an I/O-bound job
# (sleep) in every mode, primes with and without -gil, prints the comparison
# tables, and checks the ratios that the lesson predicts for a 2-core machine:
#
#   primes, 2 workers:  thread-gil speedup <= 1.2, process speedup >= 1.6
#   sleep,  8 workers:  thread-gil speedup >= 4
#
# Every mode runs REPEAT times (default 3), the modes taking turns, and the
# checks read the median speedups. It exits 1 when a ratio is off or the
# modes' outputs differ. Timings are only meaningful on an otherwise idle
# machine: it warns when the load average or the CPU pressure says the
# machine is busy. Reports and plots go to OUT (default: a new temporary
# directory).
#
# usage: scripts/lesson.sh [OUT]
#   IMG=docs/img scripts/lesson.sh   also redraws docs/img/speedup-*.png
#   REPEAT=5 scripts/lesson.sh       runs every mode 5 times
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

repeat=${REPEAT:-3}
cpus=$(nproc)
load=$(cut -d' ' -f1 /proc/loadavg)
# The share of the last 10 s in which some runnable task waited for a CPU.
pressure=$(sed -n 's/^some avg10=\([0-9.]*\).*/\1/p' /proc/pressure/cpu 2>/dev/null || true)
echo "machine: $cpus CPUs, $(go env GOVERSION), load average $(cut -d' ' -f1-3 /proc/loadavg)${pressure:+, CPU pressure ${pressure}%}"
if awk -v l="$load" -v c="$cpus" -v p="${pressure:-0}" 'BEGIN { exit !(l >= c / 2 || p >= 10) }'; then
	echo "WARNING: the machine is busy: other programs are taking CPU time, so the timings below will"
	echo "         vary and the checks may fail for that reason alone; rerun on an idle machine"
fi

# run NAME ARGS...: runs the coordinator, showing the command and its table.
run() {
	local name=$1
	shift
	echo
	echo "\$ coordinator $* -repeat $repeat"
	bin/coordinator "$@" -repeat "$repeat" -no-progress -report "$out/$name.json"
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
echo "the lesson's ratios (speedup = serial wall / wall; the median of $repeat runs, and their range):"
status=0
# check REPORT MODE OP BOUND: the median speedup of MODE in REPORT satisfies OP BOUND.
check() {
	local v lo hi
	read -r v lo hi < <(jq -r --arg m "$2" '.comparison.rows[] | select(.mode == $m) |
		"\(.speedup) \(.speedup_min // .speedup) \(.speedup_max // .speedup)"' "$out/$1.json")
	local verdict=FAILED
	if awk -v v="$v" -v op="$3" -v b="$4" 'BEGIN { exit !((op == "<=") ? v <= b : v >= b) }'; then
		verdict=ok
	else
		status=1
	fi
	printf '  %-7s %-11s speedup %5.2f (%4.2f-%4.2f)   want %s %s   %s\n' "$1" "$2" "$v" "$lo" "$hi" "$3" "$4" "$verdict"
}
check primes thread-gil '<=' 1.2
check primes process '>=' 1.6
check sleep thread-gil '>=' 4
for name in primes-nogil primes sleep; do
	if [ "$(jq -r '.comparison.identical_outputs' "$out/$name.json")" = true ]; then
		echo "  $name: identical outputs in all $(jq '.comparison.rows | length' "$out/$name.json") modes"
	else
		echo "  $name: the modes' outputs DIFFER"
		status=1
	fi
done
echo "reports: $out"
exit $status
