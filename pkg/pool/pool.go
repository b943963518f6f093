package pool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brinehq/brine/pkg/cond"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/wire"
)

// ErrClosed is returned for work handed to a closed pool.
var ErrClosed = errors.New("pool: closed")

// Pool runs calls on a fixed number of workers. It is safe for concurrent
// use; several Runs may share it.
type Pool struct {
	opts  Options
	queue *queue     // new work; senders and thread workers take from it
	retry chan *item // work to send again after its worker died
	quit  chan struct{}
	b     backend
	ids   atomic.Uint64
	stats stats // serialization counters, see Stats
	stock stock // items of completed tasks, for new calls
	// chunks are chunks no longer in use, for new ones (see chunk and
	// provision); nil in a pool that makes no chunks.
	chunks chan *chunk
	// taskNanos and callBytes are the latest estimates of how long a task
	// runs in a worker process and how many bytes a call takes encoded:
	// they size chunks (see chunkSize).
	taskNanos, callBytes atomic.Int64
	directCalls          atomic.Int64 // lone calls sent and read by their callers (see direct.go)
	// objs are the conds and barriers the workers share: in process mode
	// those of region, which every worker maps; in thread mode local ones.
	objs   cond.Objects
	region *cond.Region

	closeOnce sync.Once
	closeErr  error
	// closed is set by Close before it drains the queue. An item that
	// enters the queue after that drain is drained again by enqueue, which
	// looks at closed once more after sending it (see enqueue).
	closed atomic.Bool
	// terminated ends when Terminate is called: Close then waits no grace
	// period, and thread workers' tasks see their context end.
	terminated context.Context
	terminate  context.CancelFunc
}

// backend is where tasks run: goroutines or processes.
type backend interface {
	// funcs returns the sorted names of the functions workers can run.
	funcs() []string
	// workers describes the current workers.
	workers() []WorkerInfo
	// close stops the workers and waits for everything the backend started.
	close() error
	// abort kills the workers running tasks of rs, whose context has
	// ended, so that those tasks are salvaged as cancelled.
	abort(rs *runState)
	// cancelRun asks the workers to stop the tasks of rs, whose context
	// has ended, now: those not started are answered as cancelled.
	cancelRun(rs *runState)
	// flushOutput returns once what the workers wrote to stdout and
	// stderr so far has reached the log (transport.Worker.FlushOutput).
	flushOutput()
	// lender returns the process backend, whose idle workers' callers
	// may send lone calls directly (see direct.go), or nil.
	lender() *processes
}

// WorkerInfo describes a worker and what it did.
type WorkerInfo struct {
	ID    int
	PID   int
	Tasks int64 // tasks it completed
	// Restarts is how often the slot's process was replaced: after it
	// died or was killed (a crash, a task timeout, a protocol violation)
	// or was recycled (Options.MaxTasksPerWorker). A replacement counts
	// as it begins, by the time the tasks its predecessor held have their
	// results.
	Restarts int
}

// item is one task on its way through the pool, or a chunk of them (see
// chunk.go).
type item struct {
	id       uint64 // unique in the pool: the wire task id (of the first call, for a chunk)
	index    int
	call     task.Call // a chunk's first
	chunk    *chunk    // a chunk's calls; nil for a single task
	attempts int32     // times sent to a worker
	faults   int32     // deaths of a worker holding it that it may have caused; see retryOrFail
	size     int       // encoded size while in flight to a worker
	alone    bool      // a suspect: send it to a worker that holds nothing else
	sent     time.Time // when it was last sent, for the watchdog
	run      *runState
}

// runState is what the items of one Run share.
type runState struct {
	ctx  context.Context
	each func(Result)
	// batch, when set, takes the results a worker's frame brings, those
	// of this run, in place of each (RunBatched).
	batch func([]Result)
	// borrow: each keeps no Raw past its return (Options.BorrowResults),
	// so the memory of a result may hold the next once each returned.
	borrow bool
	left   atomic.Int64  // results still to come, and one while calls are added
	done   chan struct{} // closed once left reaches 0
}

// newRunState returns the state of a run that awaits n results (or, with
// a count for its adder, calls still being added).
func newRunState(ctx context.Context, each func(Result), n int) *runState {
	rs := &runState{ctx: ctx, each: each, done: make(chan struct{})}
	rs.left.Store(int64(n))
	return rs
}

// expect counts one more call whose result is to come.
func (rs *runState) expect() { rs.left.Add(1) }

// finish counts one result, or the end of adding calls, in.
func (rs *runState) finish() { rs.finishN(1) }

// finishN counts n results in at once, and reports whether they were the
// last, which released the run's waiter.
func (rs *runState) finishN(n int) (last bool) {
	if rs.left.Add(-int64(n)) == 0 {
		close(rs.done)
		return true
	}
	return false
}

// newItem returns the item of call c, the index-th of rs, for a caller
// that adds one call (Submit); Run and Stream use an itemSource.
func (p *Pool) newItem(index int, c task.Call, rs *runState) *item {
	return &item{id: p.ids.Add(1), index: index, call: c, run: rs}
}

// complete passes r to the run as the result of it, or of every call of
// chunk it that has none yet, and counts them in.
func (it *item) complete(r Result) {
	if it.chunk != nil {
		it.completeChunk(r)
		return
	}
	it.deliver(0, r)
	it.run.finish()
}

func (it *item) completeChunk(r Result) {
	n := 0
	for k := range it.chunk.calls() {
		if it.chunk.done&(1<<k) == 0 {
			rk := r
			if te, ok := r.Err.(*TaskError); ok && n > 0 {
				own := *te // each result its own error
				rk.Err = &own
			}
			it.deliver(k, rk)
			n++
		}
	}
	if n > 0 {
		it.run.finishN(n)
	}
}

// deliver passes r, the result of it's call k (0 for a single task), to its
// run, which has yet to count it in with finish.
func (it *item) deliver(k int, r Result) {
	r.Index, r.Attempts = it.index+k, int(it.attempts)
	it.run.each(r)
}

func (it *item) cancelled(err error) {
	it.complete(Result{Err: &TaskError{Kind: wire.KindCancelled, Message: err.Error(), Func: it.call.Func()}})
}

// New starts a pool. In process mode it spawns the workers and returns once
// each has completed its handshake; on failure it stops those it started and
// returns the first error, such as a *wire.VersionError. ctx bounds the
// start-up only.
//
// A process mode pool's workers re-run this very executable by default,
// so its main must first serve tasks when it is a worker:
//
//	if worker.IsWorker() {
//		os.Exit(worker.Main())
//	}
//
// (in a test binary, in TestMain before m.Run). New refuses to start
// workers from inside a worker process, with an error that wraps
// transport.ErrInWorker and shows that guard: a program without it would
// otherwise start workers that start workers, without end.
func New(ctx context.Context, opts ...Option) (*Pool, error) {
	var o Options
	for _, opt := range opts {
		opt(&o)
	}
	o.fill()
	if o.Mode == Process {
		if err := transport.NotInWorker(); err != nil {
			return nil, fmt.Errorf("pool: %w", err)
		}
	}
	p := &Pool{
		opts: o,
		// A slot holds at most two processes (one draining, see retire),
		// each with at most maxWindow tasks in flight, and a chunk past it,
		// and one a sender holds back (carry): salvage never blocks on retry.
		retry: make(chan *item, 2*o.Workers*(maxWindow+maxChunk+1)),
		quit:  make(chan struct{}),
	}
	p.terminated, p.terminate = context.WithCancel(context.Background())
	calls := 0
	if p.mayChunk() {
		// Enough to fill every worker's window once: with fewer queued,
		// senders find the queue empty more often than not.
		calls = o.Workers * maxWindow
	}
	p.queue = newQueue(o.Workers*256, calls)
	var provisioned sync.WaitGroup
	if calls > 0 {
		provisioned.Go(p.provision(calls)) // while the workers start
	}
	var err error
	if o.Mode == Thread {
		p.objs = &cond.LocalObjects{}
		var t *threads
		if t, err = startThreads(p); err == nil {
			p.b = t
		}
	} else {
		if p.region, err = cond.NewRegion(2*o.Workers + 1); err != nil { // each slot may hold two processes (see retire), and this one
			return nil, fmt.Errorf("pool: shared conds and barriers: %w", err)
		}
		p.objs = p.region.Objects()
		var tr transport.Transport
		if tr, err = o.transport(); err == nil {
			p.b, err = startProcesses(ctx, p, tr)
		}
	}
	provisioned.Wait()
	if err != nil {
		close(p.quit)
		if p.region != nil {
			p.region.Close()
		}
		return nil, err
	}
	return p, nil
}

// Options returns the options the pool runs with, defaults filled in.
func (p *Pool) Options() Options { return p.opts }

// Workers describes the pool's current workers.
func (p *Pool) Workers() []WorkerInfo { return p.b.workers() }

// Objects returns the named conds and barriers that the pool's workers
// share, for the coordinator's side of a synchronisation: task code gets
// the same objects from cond.FromContext(ctx). In process mode they live in
// shared memory that every worker maps, and a worker that dies breaks the
// barriers it had joined (cond.PartyDiedError); in thread mode they are
// in-process.
func (p *Pool) Objects() cond.Objects { return p.objs }

// Funcs returns the names of the functions the workers can run.
func (p *Pool) Funcs() []string { return p.b.funcs() }

// Close stops the workers: processes finish the tasks they hold and exit, or
// are killed after the grace period. It returns once every goroutine and
// process the pool started has ended. Close is idempotent. Terminate
// stops them without the grace period.
func (p *Pool) Close() error {
	p.closeOnce.Do(func() {
		close(p.quit)
		p.closed.Store(true)
		p.closeErr = p.b.close()
		p.drain()
		if p.region != nil {
			p.region.Close()
		}
	})
	return p.closeErr
}

// check refuses a call that cannot be made, before anything is sent.
func (p *Pool) check(c task.Call) error {
	if err := c.Err(); err != nil {
		return err
	}
	known := p.b.funcs()
	if _, ok := slices.BinarySearch(known, c.Func()); !ok {
		return fmt.Errorf("pool: unknown function %q: the workers have %s", c.Func(), strings.Join(known, ", "))
	}
	return nil
}

// Run runs n calls, build(i) making the i-th, and passes each result to
// each, in completion order, from the pool's goroutines: each must be safe
// for concurrent use and quick. Run blocks until every call has a result.
// It returns an error without running anything if a call cannot be made (an
// unknown function, an argument that cannot be bound); otherwise it returns
// nil, every failure being in its Result. When ctx ends, calls not yet
// started get a Result of kind wire.KindCancelled; those running may finish
// within Options.Grace, after which (or at once, see KillOn) the worker
// processes still running them are killed and they too are cancelled. Run
// then returns ctx.Err().
func (p *Pool) Run(ctx context.Context, n int, build func(i int) task.Call, each func(Result)) error {
	return p.run(ctx, n, build, each, p.opts.BorrowResults)
}

// RunBatched is Run for a caller that takes results many at a time: batch
// receives the run's results that a worker process sent together, as many
// as its frame held, in completion order; each receives every other result
// (in thread mode, a lone call's, and those the pool gives itself, such as
// cancellations and the failures of a dead worker's tasks). The slice
// batch receives, unlike the Results in it, is the pool's again once batch
// returns. Like each, batch is called from the pool's goroutines,
// concurrently, and must be quick; it saves a call per result, and lets
// the caller count a frame's results in at once.
func (p *Pool) RunBatched(ctx context.Context, n int, build func(i int) task.Call, each func(Result), batch func([]Result)) error {
	return p.runWith(newRunState(ctx, each, n+1), n, build, batch, p.opts.BorrowResults)
}

// run is Run; borrow tells whether each keeps no Raw past its return.
func (p *Pool) run(ctx context.Context, n int, build func(i int) task.Call, each func(Result), borrow bool) error {
	return p.runWith(newRunState(ctx, each, n+1), n, build, nil, borrow)
}

// runWith runs rs, made for n calls and one more (see run), with batch,
// if not nil, taking the results of frames.
func (p *Pool) runWith(rs *runState, n int, build func(i int) task.Call, batch func([]Result), borrow bool) error {
	// All n counted at once, not per call: the counter is shared with the
	// goroutines completing them. The one more is Run's own, while it adds.
	ctx := rs.ctx
	rs.borrow, rs.batch = borrow, batch
	items := itemSource{p: p}
	// open is the chunk last queued, which the next calls join while it
	// waits there and they have its function and bound arguments.
	var open *chunk
	var openFunc string // the function and bound arguments its calls share
	var openBound []byte
	chunking := p.mayChunk()
	lastFunc := ""
	var direct directCall // a lone call this caller sends and reads itself
	for i := range n {
		c := build(i)
		fn := c.Func()
		if fn != lastFunc || c.Err() != nil {
			if err := p.check(c); err != nil {
				if i == 0 {
					return err
				}
				// Results already flow; refuse this and the rest as failed.
				for j := i; j < n; j++ {
					(&item{index: j, call: build(j), run: rs}).complete(Result{Err: &TaskError{Kind: wire.KindUnknown, Message: err.Error()}})
				}
				break
			}
			lastFunc = fn
		}
		if open != nil && fn == openFunc && bytes.Equal(c.Bound(), openBound) && open.tryAdd(c) {
			continue
		}
		// it may be sent, answered and recycled once queued, and is not read
		// after it was written: another core may still have it.
		var it *item
		var ch *chunk
		if chunking {
			if size := min(p.chunkSize(), n-i); size > 1 { // no room past the run's last call
				ch = p.newChunk(c, size)
			}
		}
		if ch != nil {
			it = items.nextChunk(i, ch, rs)
		} else {
			it = items.next(i, c, rs)
		}
		if n == 1 {
			var took bool
			if direct, took = p.tryDirect(it); took {
				break
			}
		}
		if err := p.enqueue(ctx, it); err != nil {
			it.cancelled(err)
			for j := i + 1; j < n; j++ {
				(&item{index: j, call: build(j), run: rs}).cancelled(err)
			}
			break
		}
		if open != nil {
			p.release(open)
		}
		open, openFunc, openBound = ch, fn, c.Bound()
	}
	if open != nil {
		p.release(open)
	}
	rs.finish()
	if direct.w != nil {
		direct.send(rs)
	}
	p.await(rs)
	p.b.flushOutput() // what the run's tasks printed is in the log when it returns
	return ctx.Err()
}

// enqueue hands it to the workers, or returns why it cannot. An item
// accepted while the pool closes is cancelled with ErrClosed, by Close's
// drain or, if it entered the queue after that drain, by enqueue's own:
// either closed was still false when enqueue looked again after sending,
// and Close, which sets it before it drains, drains later; or enqueue saw
// it set, and drains the queue itself.
func (p *Pool) enqueue(ctx context.Context, it *item) error {
	if p.closed.Load() {
		return ErrClosed
	}
	return p.admit(ctx, it)
}

// admit is enqueue once it has found the pool open, which it may no longer
// be.
func (p *Pool) admit(ctx context.Context, it *item) error {
	for !p.queue.tryPush(it) {
		select {
		case <-p.queue.room:
		case <-ctx.Done():
			return ctx.Err()
		case <-p.quit:
			return ErrClosed
		}
	}
	if p.closed.Load() {
		p.drain()
	}
	return nil
}

// drain cancels whatever is waiting to be sent: once the pool is closed,
// nothing else will take it.
func (p *Pool) drain() {
	for it := p.tryNext(); it != nil; it = p.tryNext() {
		it.cancelled(ErrClosed)
	}
}

// next returns the next item for a worker, preferring retries, or nil once
// stop or halt is closed (a nil channel never is), even with work waiting.
func (p *Pool) next(stop, halt <-chan struct{}) *item {
	var one [1]*item
	if got := p.nextUpTo(one[:0], 1, stop, halt); len(got) == 1 {
		return got[0]
	}
	return nil
}

// nextUpTo is next that appends to dst up to n items waiting in the queue,
// taken at once, or a retry alone; it appends nothing once stop or halt is
// closed.
func (p *Pool) nextUpTo(dst []*item, n int, stop, halt <-chan struct{}) []*item {
	for {
		select {
		case <-stop:
			return dst
		case <-halt:
			return dst
		default:
		}
		if it := p.tryRetry(); it != nil {
			return append(dst, it)
		}
		if got := p.queue.pop(dst, n, true); len(got) > len(dst) {
			return got
		}
		select {
		case it := <-p.retry:
			return append(dst, it)
		case <-p.queue.ready:
		case <-stop:
			return dst
		case <-halt:
			return dst
		}
	}
}

// tryNext returns an item if one is waiting, preferring retries, else nil.
func (p *Pool) tryNext() *item {
	if it := p.tryRetry(); it != nil {
		return it
	}
	return p.queue.takeOne()
}

// tryRetry returns a task to send again, if one is waiting.
func (p *Pool) tryRetry() *item {
	if len(p.retry) == 0 { // retries are rare: skip the receive
		return nil
	}
	select {
	case it := <-p.retry:
		return it
	default:
		return nil
	}
}
