#!/usr/bin/env python3
"""An independent coordinator written from docs/PROTOCOL.md alone, using
Debian's python3-msgpack: it starts the worker binary given as argv[1],
performs the handshake, runs primes tasks and checks every answer.
Exits 0 and prints "ok" when the worker behaves as the spec says."""
import os, struct, subprocess, sys
import msgpack

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def send(fd, msg):
    body = msgpack.packb(msg, use_bin_type=True)
    os.write(fd, struct.pack(">I", len(body)) + body)

def read_exact(fd, n):
    buf = b""
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf

def recv(fd):
    head = read_exact(fd, 4)
    if head is None:
        return None
    (n,) = struct.unpack(">I", head)
    body = read_exact(fd, n)
    if body is None:
        fail("truncated frame")
    return msgpack.unpackb(body, raw=False)

def primes_in(lo, hi):
    sieve = bytearray([1]) * hi
    sieve[0:2] = b"\x00\x00"
    for i in range(2, int(hi ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = bytearray(len(sieve[i * i::i]))
    return sum(sieve[lo:hi])

def main():
    worker = sys.argv[1]
    to_r, to_w = os.pipe()      # coordinator -> worker fd 3
    from_r, from_w = os.pipe()  # worker fd 4 -> coordinator
    def child():
        # Through fresh descriptors: a pipe end may already sit on 3 or 4.
        a, b = os.dup(to_r), os.dup(from_w)
        os.dup2(a, 3)
        os.dup2(b, 4)
    env = dict(os.environ, BRINE_WORKER="1")
    p = subprocess.Popen([worker], env=env, close_fds=False, preexec_fn=child,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.close(to_r); os.close(from_w)

    hello = recv(from_r)
    if not (isinstance(hello, list) and hello[0] == 1):
        fail("first frame is not a hello: %r" % (hello,))
    _, version, pid, funcs = hello[:4]
    if version != 1: fail("protocol version %r" % version)
    if pid != p.pid: fail("hello pid %r, process %r" % (pid, p.pid))
    if "primes" not in funcs: fail("no primes in %r" % funcs)
    features = hello[4] if len(hello) > 4 else []
    if "calls" not in features: fail("the hello offers no calls: %r" % (features,))
    if "cancel" not in features: fail("the hello offers no cancel: %r" % (features,))
    send(to_w, [2, 1, 0])  # welcome, version 1, worker id 0

    size = 10000
    tasks = [[7, "primes", [size], [0]], [8, "primes", [size], [99]],
             [9, "no.such.function", None, [1]], [10, "primes", [size], ["not a number"]],
             [11, "primes", [size, 1], [2]]]
    send(to_w, [3, tasks])
    # Calls: tasks 20, 21 and 22 of primes with the bound [size]
    send(to_w, [6, 20, "primes", [size], [[1], [2], ["x"]]])
    # Tasks with a spin: poll for the next message up to 50 µs (section 5)
    send(to_w, [3, [[30, "primes", [size], [3]]], 50000])
    # Cancel (section 5.2): task 40 sleeps a minute unless stopped, 41 waits
    # behind it and is skipped, 42 is not named and runs
    send(to_w, [3, [[40, "sleep", [60000], [0]], [41, "primes", [size], [4]], [42, "primes", [size], [5]]]])
    send(to_w, [7, [[40, 41]]])
    send(to_w, [5])  # shutdown: finish, answer, exit 0

    results = {}
    while True:
        msg = recv(from_r)
        if msg is None:
            break
        if msg[0] != 4: fail("unexpected message %r" % (msg[0],))
        for res in msg[1]:
            tid, value, err, nanos = res[:4]
            if tid in results: fail("two results for task %d" % tid)
            if not isinstance(nanos, int) or nanos < 0: fail("bad nanos %r" % (nanos,))
            results[tid] = (value, err)
    if p.wait(timeout=10) != 0: fail("worker exit status %r" % p.returncode)
    if sorted(results) != [7, 8, 9, 10, 11, 20, 21, 22, 30, 40, 41, 42]: fail("results for %r" % sorted(results))
    want7, want8 = primes_in(0, size), primes_in(99 * size, 100 * size)
    if results[7] != (want7, None): fail("task 7: %r, want %d" % (results[7], want7))
    if results[8] != (want8, None): fail("task 8: %r, want %d" % (results[8], want8))
    for tid, i in ((20, 1), (21, 2), (30, 3)):
        want = primes_in(i * size, (i + 1) * size)
        if results[tid] != (want, None): fail("call %d: %r, want %d" % (tid, results[tid], want))
    if results[42] != (primes_in(5 * size, 6 * size), None): fail("task 42, not cancelled: %r" % (results[42],))
    for tid, kind in ((9, "unknown_function"), (10, "bad_arguments"), (11, "bad_arguments"), (22, "bad_arguments"),
                      (40, "cancelled"), (41, "cancelled")):
        value, err = results[tid]
        if value is not None or not err or err[0] != kind:
            fail("task %d: %r, want a %s error" % (tid, results[tid], kind))
    print("ok: hello from pid %d with %d functions and %s; primes %d and %d; errors %s, %s, %s; calls %d, %d, %s; cancelled %s, %s" %
          (pid, len(funcs), ", ".join(features), want7, want8, results[9][1][0], results[10][1][0], results[11][1][0],
           results[20][0], results[21][0], results[22][1][0], results[40][1][0], results[41][1][0]))

if __name__ == "__main__":
    main()
