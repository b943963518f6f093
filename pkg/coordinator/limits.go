package coordinator

import (
	"fmt"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/brinehq/brine/internal/cgroup"
	"github.com/brinehq/brine/pkg/cond"
)

// poolMaxWorkers is the most workers a pool can have: its shared conds and
// barriers hold every worker process, a slot's replacement beside the one
// it replaces, and the coordinator (cond.MaxProcs).
const poolMaxWorkers = (cond.MaxProcs - 1) / 2

// fdsPerWorker is how many of the coordinator's file descriptors a worker
// process may take: its pipes and its pidfd are 6, and twice that while a
// replacement starts beside a worker that drains (-max-tasks-per-worker).
const fdsPerWorker = 12

// fdsReserved are the descriptors left for everything but the workers.
const fdsReserved = 64

// workerLimit is the most workers a run may have, said as the refusal of
// a larger count ends: "at most 8191 workers in a pool".
type workerLimit struct {
	max  int
	says string
}

// pidsPerWorker is how many processes and threads a worker process may
// take of a pids cgroup's limit: a Go worker runs 7 threads with one
// processor, and a worker that cannot make a thread it needs crashes.
const pidsPerWorker = 8

// pidsReserved are the processes and threads left for the coordinator to
// grow into beside its workers.
const pidsReserved = 8

// limitWorkers returns the limit of a run's pools; with processes, those
// of worker processes, which the coordinator's limit on open files and
// its pids cgroup's limit on processes and threads bound too.
func limitWorkers(procs bool) workerLimit {
	l := workerLimit{poolMaxWorkers, fmt.Sprintf("at most %d workers in a pool", poolMaxWorkers)}
	if !procs {
		return l
	}
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) == nil && rl.Cur < uint64(l.max*fdsPerWorker+fdsReserved) {
		n := max(int(rl.Cur)-fdsReserved, 0) / fdsPerWorker
		l = workerLimit{n, fmt.Sprintf("at most %s: each takes up to %d of the coordinator's open files, "+
			"and its limit is %d (raise it with ulimit -n)", processes(n), fdsPerWorker, rl.Cur)}
	}
	if g, err := cgroup.Of(0); err == nil {
		if left, where, ok := g.PidsLeft(); ok {
			if n := int(max(left-pidsReserved, 0) / pidsPerWorker); n < l.max {
				l = workerLimit{n, fmt.Sprintf("at most %s: each takes up to %d processes and threads, "+
					"and the pids cgroup %s allows %d more (raise pids.max there)", processes(n), pidsPerWorker, where, left)}
			}
		}
	}
	return l
}

// processes says "1 worker process", "2 worker processes".
func processes(n int) string {
	if n == 1 {
		return "1 worker process"
	}
	return fmt.Sprintf("%d worker processes", n)
}

// check refuses a worker count beyond the limit, naming the flag that
// asked for it.
func (l workerLimit) check(flag string, n int) error {
	if n > l.max {
		return usagef("%s %d: %s", flag, n, l.says)
	}
	return nil
}

// startCost is about how long one worker process takes to start on one
// CPU, the runtime's and the packages' initialisation included (40 ms
// measured on a 2-CPU VM), with room for a loaded machine.
const startCost = 100 * time.Millisecond

// handshakeFor is the default -handshake-timeout of a pool of n workers:
// 10s, and as long again as n workers starting at once take to share the
// CPUs, since each worker's handshake is timed from its own start.
func handshakeFor(n int) time.Duration {
	return 10*time.Second + time.Duration(n)*startCost/time.Duration(runtime.NumCPU())
}
