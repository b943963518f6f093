package pool

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brinehq/brine/pkg/cond"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

// selfPID is this process's id, read once: Getpid is a system call.
var selfPID = os.Getpid()

// threads is the thread backend: one goroutine per worker, each calling
// functions directly.
type threads struct {
	p     *Pool
	wg    sync.WaitGroup
	tasks []workerCount // by worker id
	gil   *gil
}

// workerCount is a worker's count of tasks, on cache lines of its own: the
// workers count on different cores, and counts side by side had each
// count invalidate the others'.
type workerCount struct {
	atomic.Int64
	_ [120]byte
}

// startThreads starts the thread workers, each with the values of the
// States its initializers make (Options.Initializers), made here: on
// failure nothing is started, and the error names the State.
func startThreads(p *Pool) (*threads, error) {
	t := &threads{p: p, tasks: make([]workerCount, p.opts.Workers)}
	if p.opts.GIL {
		t.gil = &gil{}
	}
	sets := make([]*task.StateSet, p.opts.Workers)
	for id := range sets {
		sets[id] = task.NewStateSet() // this worker's values of task.States
		if err := task.StartStates(context.Background(), sets[id], p.opts.Initializers); err != nil {
			for _, set := range sets[:id+1] {
				task.EndStates(context.Background(), set)
			}
			return nil, fmt.Errorf("pool: thread worker %d: %w", id, err)
		}
	}
	t.wg.Add(p.opts.Workers)
	for id := range p.opts.Workers {
		go t.loop(id, sets[id]) // owned by t.wg, awaited in close
	}
	return t, nil
}

func (t *threads) funcs() []string { return task.Default.Names() }

func (t *threads) lender() *processes { return nil }

// flushOutput has nothing to wait for: thread tasks write to this process's
// stdout and stderr themselves.
func (t *threads) flushOutput() {}

func (t *threads) workers() []WorkerInfo {
	ws := make([]WorkerInfo, len(t.tasks))
	for i := range ws {
		ws[i] = WorkerInfo{ID: i, PID: selfPID, Tasks: t.tasks[i].Load()}
	}
	return ws
}

func (t *threads) close() error {
	t.wg.Wait()
	return nil
}

// abort can do nothing in thread mode: a goroutine cannot be killed. The
// tasks of rs see their context cancelled and end when they heed it.
func (t *threads) abort(*runState) {}

// Thread workers take short tasks from the queue a few at a time: one
// lock for several tasks, where taking them one by one had the workers
// contend for the queue's lock on every task, a large share of a run of
// trivial tasks (bench/RESULTS.md, "Design measurements": Thread workers
// take tasks a few at a time).
const (
	// threadShort: a task that ran less than this has its worker take up
	// to threadGrab tasks next (see grabAfter), then run them in order.
	threadShort = 2 * time.Microsecond
	threadGrab  = 8
)

// grabAfter is how many tasks a worker takes at once after a task that ran
// for compute: one after a long task, so that no task waits behind it while
// another worker is free; a few after a short one, up to Options.Prefetch,
// which limits what a worker holds in both modes.
func (t *threads) grabAfter(compute time.Duration) int {
	n := 1
	if compute < threadShort {
		n = threadGrab
	}
	if pf := t.p.opts.Prefetch; pf > 0 {
		n = min(n, pf)
	}
	return n
}

// loop runs tasks on thread worker id, whose States' values are in states,
// until the pool closes; then it ends them (OnExit).
func (t *threads) loop(id int, states *task.StateSet) {
	defer t.wg.Done()
	defer func() {
		if err := task.EndStates(context.Background(), states); err != nil {
			t.p.opts.Logger.Error().Int("worker", id).Err(err).Msg("ending the worker's states")
		}
	}()
	var buf []byte
	var run *runState
	done := itemSink{p: t.p}
	var ctx context.Context // run's context as tasks see it; built once per run
	release := func() {}    // releases ctx
	defer func() { release() }()
	var held [threadGrab]*item
	var taken []*item // in held: taken from the queue, not yet run
	var ended finishes
	defer ended.flush()
	grab := 1
	for {
		if len(taken) == 0 {
			ended.flush() // before waiting for work
			if taken = t.p.nextUpTo(held[:0], grab, t.p.quit, nil); len(taken) == 0 {
				return
			}
		}
		it := taken[0]
		taken[0], taken = nil, taken[1:]
		if it.run != ended.run {
			ended.flush() // before a task of another run, which may take long
		}
		if err := t.p.stopped(it.run); err != nil {
			it.cancelled(err)
			continue
		}
		if it.run != run {
			release()
			run = it.run
			ctx, release = t.p.runContext(it.run)
			ctx = task.WithStateSet(cond.NewContext(ctx, t.p.objs), states)
			if t.gil != nil {
				ctx = task.WithReleaser(ctx, t.gil)
			}
		}
		if t.gil != nil {
			t.gil.Acquire()
		}
		it.attempts++
		var r Result
		if t.p.opts.Wire {
			r, buf = runWire(ctx, it, buf, &t.p.stats)
		} else {
			r = runDirect(ctx, it)
		}
		if t.gil != nil {
			t.gil.Release()
		}
		t.p.interrupted(it, &r)
		r.Worker, r.PID = id, selfPID
		if te, ok := r.Err.(*TaskError); ok {
			te.Worker, te.PID = id, r.PID
		}
		t.tasks[id].Add(1)
		grab = t.grabAfter(r.Compute)
		if it.isChunk() { // not made for thread workers (mayChunk)
			it.complete(r)
		} else {
			it.deliver(0, r)
			ended.add(it.run)
		}
		done.put(it)
	}
}

// finishes counts in the results a thread worker delivered for one run, at
// once rather than one by one: the run's count is shared with every other
// worker, and counting each result had the workers contend for it. A
// worker counts them in before it waits for work and before it runs a task
// of another run, so that a run's waiter never waits for a task that is
// not the run's.
type finishes struct {
	run *runState
	n   int
}

func (f *finishes) add(rs *runState) {
	if rs != f.run {
		f.flush()
		f.run = rs
	}
	f.n++
}

func (f *finishes) flush() {
	if f.n > 0 {
		f.run.finishN(f.n)
	}
	f.run, f.n = nil, 0
}

// runDirect calls the function with no serialization, containing a panic as
// a worker process does.
func runDirect(ctx context.Context, it *item) (r Result) {
	start := monotonic()
	defer func() {
		r.Compute = monotonic() - start
		if p := recover(); p != nil {
			r = Result{Err: &TaskError{Kind: wire.KindPanic, Message: fmt.Sprint(p), Stack: string(debug.Stack()), Func: it.call.Func()}, Compute: r.Compute}
		}
	}()
	v, err := it.call.Run(ctx)
	if err != nil {
		return Result{Err: &TaskError{Kind: wire.KindError, Message: err.Error(), Func: it.call.Func(), Err: err}}
	}
	return Result{Value: v}
}

// epoch is when the process started, near enough: monotonic counts from it.
var epoch = time.Now()

// monotonic reads the monotonic clock alone, faster than time.Now, which
// reads the wall clock too (bench/RESULTS.md, "Design measurements":
// Monotonic clock): it times each task of thread mode.
func monotonic() time.Duration { return time.Since(epoch) }

// runWire takes the path a task takes to a worker process, encode and
// decode included, without leaving the process: the encoded task frame is
// decoded, invoked through the registry, and its result frame decoded. The
// framing on both sides is counted in st; the function's own decoding of its
// arguments and encoding of its result is in its compute time, as it is in a
// worker process.
func runWire(ctx context.Context, it *item, buf []byte, st *stats) (Result, []byte) {
	start := time.Now()
	frame, err := encodeTask(buf[:0], it)
	if err != nil {
		return Result{Err: err}, buf
	}
	encoded := time.Now()
	st.encoded(len(frame), encoded.Sub(start))
	tasks, err := wire.DecodeTasks(frame[wire.HeaderSize:], nil)
	if err != nil {
		return Result{Err: &TaskError{Kind: wire.KindBadArgs, Message: err.Error(), Func: it.call.Func()}}, frame
	}
	tk := tasks[0]
	out, bw := wire.BeginResults(nil)
	invoked := time.Now()
	st.decoded(0, invoked.Sub(encoded))
	out = wire.AppendResultHead(out, tk.ID)
	werr := &wire.Error{Kind: wire.KindUnknown, Message: tk.Func}
	if e, ok := task.Default.Lookup(tk.Func); ok {
		out, werr = e.Invoke(ctx, tk.Bound, tk.Args, out)
	}
	returned := time.Now()
	compute := returned.Sub(invoked)
	out = wire.AppendResultTail(out, werr, uint64(compute))
	out, _ = bw.End(out, 1)
	framed := time.Now()
	st.encoded(0, framed.Sub(returned))
	rs, err := wire.DecodeResults(out[wire.HeaderSize:], nil)
	st.decoded(len(out), time.Since(framed))
	if err != nil {
		return Result{Err: &TaskError{Kind: wire.KindEncode, Message: err.Error(), Func: it.call.Func()}}, frame
	}
	return resultOf(it, &rs[0], compute), frame
}

// gil is a global interpreter lock for goroutines: a mutex that
// task.Blocking releases around blocking work.
type gil struct{ mu sync.Mutex }

func (g *gil) Acquire() { g.mu.Lock() }
func (g *gil) Release() { g.mu.Unlock() }
