#!/usr/bin/env python3
"""Runs chosen (executor, mode) pairs of the pool_bench.py anchor, and only those.

Usage: pool_anchor.py trivial|payload PAIR [PAIR ...]
  PAIR is EXECUTOR:MODE[:NTASKS], EXECUTOR one of pool, threadpool, ppe, e.g.
      pool_anchor.py trivial pool:map_cs1 pool:map_default ppe:map_cs1:20000
  NTASKS defaults to $NTASKS or 100000.

pool_bench.py runs every executor and mode in one go (~75 s at 100,000 tasks,
most of it ProcessPoolExecutor with chunksize 1), while make bench needs a few
pairs per repetition. This script imports pool_bench.py unmodified from the
anchors directory ($BRINE_SHARED/anchors, default <repo>/../shared/anchors)
and times each pair exactly as its bench_tasks does: same task functions
(inc, echo4k) and payload, same run_pool/run_cf, a fresh pool of 2 warmed with
one small map, the clock around the map only. Each pair prints pool_bench's
JSON line plus "ntasks". Pool.map's default chunksize is
ceil(n / (4 * workers)), so a map_default figure holds only for its NTASKS.
"""
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ANCHORS = os.path.join(os.environ.get("BRINE_SHARED", os.path.join(REPO, "..", "shared")), "anchors")
sys.path.insert(0, ANCHORS)

import multiprocessing as mp  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from multiprocessing.pool import ThreadPool  # noqa: E402

import pool_bench  # noqa: E402

EXECUTORS = {
    # name: (label in the JSON line, pool factory, timing function, warm-up)
    "pool": ("mp.Pool(2)", lambda: mp.Pool(2), pool_bench.run_pool,
             lambda p: p.map(pool_bench.inc, range(8), chunksize=1)),
    "threadpool": ("ThreadPool(2)", lambda: ThreadPool(2), pool_bench.run_pool,
                   lambda p: p.map(pool_bench.inc, range(8), chunksize=1)),
    "ppe": ("ProcessPoolExecutor(2)", lambda: ProcessPoolExecutor(2), pool_bench.run_cf,
            lambda ex: list(ex.map(pool_bench.inc, range(8)))),
}


def parse_pair(spec):
    parts = spec.split(":")
    if len(parts) not in (2, 3) or parts[0] not in EXECUTORS:
        raise SystemExit("pool_anchor.py: bad pair %r: want EXECUTOR:MODE[:NTASKS] with EXECUTOR in %s"
                         % (spec, ", ".join(EXECUTORS)))
    n = int(parts[2]) if len(parts) == 3 else int(os.environ.get("NTASKS", "100000"))
    if n < 1:
        raise SystemExit("pool_anchor.py: NTASKS must be positive in %r" % spec)
    return parts[0], parts[1], n


def run_pair(kind, executor, mode, n):
    label, factory, timed, warm = EXECUTORS[executor]
    if kind == "trivial":
        fn, args = pool_bench.inc, list(range(n))
    else:
        fn, args = pool_bench.echo4k, [pool_bench.PAYLOAD] * n
    with factory() as p:
        warm(p)
        dt = timed(p, fn, args, mode)
    pool_bench.emit(bench=kind, executor=label, mode=mode, rep=0, secs=dt,
                    tasks_per_s=n / dt, us_per_task=dt / n * 1e6, ntasks=n)


def main(argv):
    if len(argv) < 2 or argv[0] not in ("trivial", "payload"):
        raise SystemExit(__doc__)
    pairs = [parse_pair(a) for a in argv[1:]]  # all checked before any runs
    for executor, mode, n in pairs:
        run_pair(argv[0], executor, mode, n)


if __name__ == "__main__":
    main(sys.argv[1:])
