#!/usr/bin/env bash
# Runs one of the Python anchor programs beside the project and passes its
# JSON lines through on stdout.
#
#   scripts/anchors.sh pool trivial 1          # pool_bench.py trivial 1
#   scripts/anchors.sh barrier condition 2 200 1
#   NTASKS=20000 scripts/anchors.sh pool payload 1
#
# Environment: BRINE_SHARED (default <repo>/../shared) locates anchors/;
# BRINE_PYTHON skips resolving the interpreter, so a caller running several
# anchors can resolve it once; NTASKS and everything else pass through.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: scripts/anchors.sh PROGRAM [ARGS...]

programs (in $BRINE_SHARED/anchors, default <repo>/../shared/anchors;
the script names, with or without .py, work too):
  pool     pool_bench.py trivial|payload|cpu [reps]     (env NTASKS, default 100000)
  barrier  barrier_bench.py barrier|condition N [rounds] [runs]
  pickle   pickle_bench.py
  first    pool_first.py [inproc REPS]
EOF
}

if [[ $# -eq 0 ]]; then
	usage >&2
	exit 2
fi
case $1 in
pool | pool_bench | pool_bench.py) script=pool_bench.py ;;
barrier | barrier_bench | barrier_bench.py) script=barrier_bench.py ;;
pickle | pickle_bench | pickle_bench.py) script=pickle_bench.py ;;
first | pool_first | pool_first.py) script=pool_first.py ;;
-h | --help | help)
	usage
	exit 0
	;;
*)
	echo "anchors.sh: unknown program '$1'" >&2
	usage >&2
	exit 2
	;;
esac
shift

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
anchors=${BRINE_SHARED:-$repo/../shared}/anchors
if [[ ! -f $anchors/$script ]]; then
	echo "anchors.sh: $anchors/$script not found; set BRINE_SHARED to the directory holding anchors/" >&2
	exit 1
fi

# python3 on PATH may be a shim (pyenv) that adds ~140 ms to every start and
# would skew pool_first.py; run the interpreter it resolves to instead.
python=${BRINE_PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}

exec "$python" "$anchors/$script" "$@"
