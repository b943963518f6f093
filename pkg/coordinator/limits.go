package coordinator

import (
	"fmt"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

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

// limitWorkers returns the limit of a run's pools; with processes, those
// of worker processes, which the coordinator's limit on open files bounds
// too.
func limitWorkers(processes bool) workerLimit {
	l := workerLimit{poolMaxWorkers, fmt.Sprintf("at most %d workers in a pool", poolMaxWorkers)}
	var rl unix.Rlimit
	if !processes || unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) != nil || rl.Cur >= uint64(l.max*fdsPerWorker+fdsReserved) {
		return l
	}
	n := max(int(rl.Cur)-fdsReserved, 0) / fdsPerWorker
	return workerLimit{n, fmt.Sprintf("at most %d worker processes: each takes up to %d of the coordinator's open files, "+
		"and its limit is %d (raise it with ulimit -n)", n, fdsPerWorker, rl.Cur)}
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
