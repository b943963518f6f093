#!/usr/bin/env python3
"""A whole cold run: start multiprocessing.Pool(2), map inc over range(N) with
Pool.map's default chunksize, and exit.

Usage: pool_whole.py [N]   (N defaults to $NTASKS or 100000)

make bench times this script from exec to exit, interpreter start, imports,
pool start, map and pool shutdown included, beside the same of a whole
`coordinator -job echo` run. It prints nothing: everything it costs is in
that wall time, so nothing inside it is timed.
"""
import os
import sys
from multiprocessing import Pool


def inc(x):
    return x + 1


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("NTASKS", "100000"))
    if n < 1:
        raise SystemExit("pool_whole.py: N must be positive, got %d" % n)
    with Pool(2) as p:
        p.map(inc, range(n))
