package pool

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/wire"
)

// processes is the process backend: one slot per worker, each supervised
// by a goroutine that replaces its process when it dies or is recycled.
type processes struct {
	p     *Pool
	tr    transport.Transport
	env   []string // for every worker, past what the transport sets
	names []string // functions of the first worker; every worker must match
	slots []*slot
	// queue is the slot of the transport's shared queue in queue mode
	// (shared.go), else nil; its workers, in slots, then take no tasks of
	// their own.
	queue  *slot
	queued bool // queue mode
	// ctx ends when the pool closes, aborting the spawns in progress.
	ctx     context.Context
	cancel  context.CancelFunc
	serving atomic.Int32   // processes being served, in all slots
	flying  atomic.Int64   // tasks in flight to all of them: the sum of their proc.n
	parked  atomic.Int32   // receivers parked, lending their reading (see direct.go)
	crashes crashLoop      // workers dying before they finish anything
	wg      sync.WaitGroup // supervisors
}

// slot is a worker's place in the pool, which outlives its processes.
type slot struct {
	id     int
	queue  bool           // the shared queue's, not a worker's
	events chan procEvent // from the slot's processes to its supervisor

	mu       sync.Mutex
	cur      *proc   // the process fed new tasks
	procs    []*proc // its processes not yet reaped: cur, and one draining at most
	restarts int
	tasks    atomic.Int64
}

// procEvent tells a supervisor that w took its last task (retired) or
// ended, and how.
type procEvent struct {
	w       *proc
	retired bool
	exit    *WorkerExitError
}

// startProcesses starts the workers through tr, which the backend owns.
func startProcesses(ctx context.Context, p *Pool, tr transport.Transport) (*processes, error) {
	b := &processes{p: p, tr: tr, slots: make([]*slot, p.opts.Workers)}
	_, shares := tr.(transport.Queuer)
	b.queued = shares && p.opts.mayQueue()
	b.env = b.workerEnv()
	b.ctx, b.cancel = context.WithCancel(context.Background())
	procs := make([]*proc, len(b.slots))
	errs := make([]error, len(b.slots))
	var wg sync.WaitGroup
	for i := range b.slots {
		b.slots[i] = &slot{id: i, events: make(chan procEvent, 2)}
		wg.Go(func() { procs[i], errs[i] = b.spawn(ctx, b.slots[i]) })
	}
	wg.Wait()
	err := firstErr(errs)
	if err == nil {
		err = sameFuncs(procs)
	}
	var queue *proc
	if err == nil && b.queued {
		b.queue = &slot{id: len(b.slots), queue: true, events: make(chan procEvent, 2)}
		if queue, err = b.spawn(ctx, b.queue); err != nil {
			err = fmt.Errorf("pool: opening the workers' shared queue: %w", err)
		}
	}
	if err != nil {
		for _, w := range procs {
			if w != nil {
				w.killFor("the pool failed to start", true)
				w.end()
				w.conn.Close()
			}
		}
		b.cancel()
		tr.Close()
		return nil, err
	}
	b.names = procs[0].hello.Funcs
	for i, s := range b.slots {
		s.add(procs[i]) // before New returns, so that Workers knows it
		b.wg.Add(1)
		go b.supervise(s, procs[i]) // owned by b.wg, awaited in close
	}
	if queue != nil {
		b.queue.add(queue)
		b.wg.Add(1)
		go b.supervise(b.queue, queue)
	}
	return b, nil
}

// sameFuncs checks that the workers have the same functions.
func sameFuncs(procs []*proc) error {
	for i, w := range procs {
		if !slices.Equal(w.hello.Funcs, procs[0].hello.Funcs) {
			return fmt.Errorf("pool: workers 0 and %d have different functions: build them from the same code", i)
		}
	}
	return nil
}

func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (b *processes) funcs() []string { return b.names }

// lender returns b, whose idle workers may be lent to a lone call's
// caller, unless they take their tasks from the shared queue.
func (b *processes) lender() *processes {
	if b.queued {
		return nil
	}
	return b
}

func (b *processes) workers() []WorkerInfo {
	ws := make([]WorkerInfo, len(b.slots))
	for i, s := range b.slots {
		s.mu.Lock()
		ws[i] = WorkerInfo{ID: s.id, Tasks: s.tasks.Load(), Restarts: s.restarts}
		if s.cur != nil {
			ws[i].PID = s.cur.pid
		}
		s.mu.Unlock()
	}
	return ws
}

// add makes w the slot's current process. A process added once the pool
// is closing has its input closed at once, as close did to the others:
// Close closes quit before close takes the slots' locks, so under the lock
// either close will see w or w sees quit closed.
func (s *slot) add(w *proc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur = w
	s.procs = append(s.procs, w)
	if w.b.closing() {
		w.closeInput()
	}
}

// remove forgets w, which has ended, and counts a restart if it is to be
// replaced. Restarts are counted as the replacement begins, so that they
// are known as soon as the results of the tasks w held.
func (s *slot) remove(w *proc, replaced bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.procs = slices.DeleteFunc(s.procs, func(x *proc) bool { return x == w })
	if replaced && !w.b.closing() {
		s.restarts++
	}
}

// countRestart counts a replacement of the slot's process as it begins.
func (s *slot) countRestart() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.restarts++
}

// eachProc calls f on every process of every slot, the shared queue's
// included, under the slot's lock.
func (b *processes) eachProc(f func(w *proc)) {
	for _, s := range b.allSlots() {
		s.mu.Lock()
		for _, w := range s.procs {
			f(w)
		}
		s.mu.Unlock()
	}
}

func (b *processes) closing() bool {
	select {
	case <-b.p.quit:
		return true
	default:
		return false
	}
}

func (b *processes) flushOutput() {
	var ws []*proc
	b.eachProc(func(w *proc) { ws = append(ws, w) })
	for _, w := range ws { // outside the slots' locks: it may wait
		w.conn.FlushOutput()
	}
}

// abort kills the processes running tasks of rs; salvage then reports
// those tasks cancelled and retries the others they held.
func (b *processes) abort(rs *runState) {
	b.eachProc(func(w *proc) {
		if w.holds(rs) {
			w.killFor("its run was cancelled and the grace period ended", true)
		}
	})
}

// close lets workers finish the tasks they hold within the grace period,
// then terminates what is left, and waits for every supervisor. Close has
// closed p.quit already, so no process starts or is fed from now on.
func (b *processes) close() error {
	b.cancel()
	b.eachProc(func(w *proc) { w.closeInput() })
	defer b.tr.Close()
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }() // ends when the supervisors do, which close awaits
	const late = "the pool closed and it did not finish within the grace period"
	stages := []struct {
		stop func(w *proc)
		wait time.Duration
	}{
		{nil, b.p.opts.Grace},
		{func(w *proc) { w.stopFor(w.conn.Terminate, late, true) }, time.Second},
		{func(w *proc) { w.killFor(late, true) }, 0},
	}
	for _, st := range stages {
		if st.stop != nil {
			b.eachProc(st.stop)
		}
		if st.wait == 0 {
			break
		}
		t := time.NewTimer(st.wait)
		select {
		case <-done:
			t.Stop()
			return nil
		case <-t.C:
		case <-b.p.terminated.Done():
			b.killAll()
			<-done
			return nil
		}
	}
	<-done
	return nil
}

// workerEnv returns the environment entries of a worker process, past the
// coordinator's own and what the transport sets.
func (b *processes) workerEnv() []string {
	env := []string{wire.EnvLogLevel + "=" + b.p.opts.LogLevel, "GODEBUG=" + workerGODEBUG(os.Getenv("GODEBUG"))}
	if names := b.p.opts.Initializers; len(names) > 0 {
		env = append(env, wire.EnvStates+"="+strings.Join(names, ","))
	}
	switch n := b.p.opts.WorkerProcs; {
	case n > 0:
		env = append(env, "GOMAXPROCS="+strconv.Itoa(n))
	case os.Getenv("GOMAXPROCS") == "":
		n = workerProcs(runtime.GOMAXPROCS(0), len(b.slots))
		if b.p.opts.TaskTimeout > 0 {
			// Timeouts are charged by when results arrive, and a worker
			// with one processor writes a result held behind a task that
			// computes without blocking only once its runtime preempts
			// that task, ~10 ms later, instead of within ~1 ms.
			n = max(n, 2)
		}
		env = append(env, "GOMAXPROCS="+strconv.Itoa(n))
	}
	return append(env, b.p.opts.Env...)
}

// workerProcs is the GOMAXPROCS of each of n workers on a coordinator
// whose own is procs: their share of the processors, at least one. A
// worker runs one task at a time, and a runtime that thinks it has every
// processor spreads its collector and scavenger over them, waking threads
// and flushing TLBs across processors that its siblings need: with one
// each, two workers on two processors echoed large and small payloads
// faster, and trivial tasks as fast (bench/RESULTS.md, "Design
// measurements": Worker GOMAXPROCS). Options.WorkerProcs sets another.
func workerProcs(procs, n int) int { return max(1, procs/max(n, 1)) }

// workerGODEBUG is the GODEBUG of a worker, given the coordinator's:
// settings of the coordinator's own come after, and win.
//
// madvdontneed=0 has the runtime give freed heap memory back to the kernel
// with MADV_FREE, which leaves it mapped until the system needs it,
// instead of MADV_DONTNEED, which unmaps it at once. A worker allocates
// every argument afresh, since its function owns it; with large arguments
// the heap frees and takes the same few MiB for every task, and each page
// unmapped in between faults back in, far more often than with MADV_FREE,
// on virtual machines where a fault is dear (bench/RESULTS.md, "Design
// measurements": MADV_FREE in workers). The cost is an RSS that counts
// memory the kernel may take back.
func workerGODEBUG(own string) string {
	if own == "" {
		return "madvdontneed=0"
	}
	return "madvdontneed=0," + own
}
