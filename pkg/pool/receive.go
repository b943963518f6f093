package pool

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/brinehq/brine/internal/prefault"
	"github.com/brinehq/brine/pkg/wire"
)

// receive reads results from the worker's output until it ends, and
// returns nil for a clean end or the protocol error that makes the worker
// untrustworthy: a malformed or oversized frame, a frame cut short, a
// message other than Results, a result for a task the worker does not
// hold. Every result it accepts completes its task exactly once; the tasks
// it has not answered stay in flight, for salvage. While the worker holds
// nothing it may park, lending its reading to a caller (see direct.go).
func (w *proc) receive() error {
	rx := newReceiver(w)
	w.rx = rx // before the receiver parks, which lends it
	yield := false
	for {
		// The waiter of a run it completed is this thread's next
		// goroutine; yielding runs it here and now. Otherwise the
		// receiver would go on to wait for the next frame while the
		// scheduler woke another thread to take the waiter over, a few
		// microseconds later. Before a read that blocks its thread
		// (transport.Worker.Blocks) it yields too, so that the goroutines it made
		// runnable (the sender, a waiter) do not wait for the runtime to
		// take the processor back from the blocked thread; or, the
		// worker holding nothing, it parks instead (see direct.go).
		if !rx.parked && !w.conn.Buffered() && rx.blocks() {
			w.mu.Lock()
			w.parkLocked(rx)
			w.mu.Unlock()
			yield = yield || !rx.parked
		}
		if rx.parked {
			w.park()
		} else if yield {
			runtime.Gosched()
		}
		released, ok := rx.step()
		if !ok {
			if errors.Is(rx.end, io.EOF) {
				return nil
			}
			return rx.end
		}
		yield = released
	}
}

// nearFlight is the most tasks the pool may have in flight while it tells
// its transport that the next result is near (transport.Spec.Near), so that
// readers may block their threads for it. One would do for lone calls; a
// few more spare small Runs the switches between reading modes and the
// receiver's wake-up from parked (see direct.go; bench/RESULTS.md, "Design
// measurements": Near flight).
const nearFlight = 4

// receiver is the state of the reading of a worker's output: the receiver
// goroutine's, lent to a caller that reads its own result while the
// receiver is parked (see direct.go). One goroutine uses it at a time; it
// passes from one to the other under proc.mu.
type receiver struct {
	w          *proc
	blocking   bool // the last read was prepared to block its thread (transport.Worker.Blocks)
	rs         []wire.Result
	its, ended []*item
	batch      []Result // the results of a run with a batch function, for it
	spare      []byte   // a body no result refers to: the next is read into it
	values     valueBlocks
	done       itemSink
	end        error // why the output can be read no more (io.EOF at its end); once set, it stays
	parked     bool  // the receiver parked as it took the last frame's results (see parkLocked)
}

func newReceiver(w *proc) *receiver {
	rx := &receiver{w: w, done: itemSink{p: w.b.p}}
	if w.b.p.chunks != nil {
		// A pool that makes chunks runs short tasks, whose results come
		// frameResults to a frame: the receiver's buffers are made for
		// them now, not grown in its first large run (see provision).
		rx.rs = prefault.Slice[wire.Result](frameResults)
		rx.its = prefault.Slice[*item](frameResults)
		rx.ended = prefault.Slice[*item](frameResults)
		rx.batch = prefault.Slice[Result](frameResults)
		rx.spare = prefault.Slice[byte](shortFrameIn)
	}
	return rx
}

// What a pool that makes chunks makes for each worker as it starts,
// written through (internal/prefault): the receiver's buffers and the
// others a run of short tasks fills. Grown during the pool's first such
// run, each new size was fresh memory, whose pages faulted in the middle
// of it (bench/RESULTS.md, "Design measurements": Buffers written through
// as they are made). They grow past these for larger frames.
const (
	// frameResults is how many results of short tasks a worker writes in
	// a frame (its flushResults), twice over.
	frameResults  = 512
	shortFrameIn  = 16 << 10 // bytes of a frame of results: frameResults of a few words each
	shortFrameOut = 32 << 10 // bytes of a frame of tasks: half a window of chunks
	shortFlight   = 2048     // places in flight, holes included (flight.settle)
)

// blocks prepares the next read, and reports whether it will block its
// thread.
func (rx *receiver) blocks() bool {
	rx.blocking = rx.w.conn.Blocks()
	return rx.blocking
}

// step reads the next frame and delivers its results. It reports whether
// they released a run's waiter, and false once the output can be read no
// more, rx.end telling why.
func (rx *receiver) step() (released, ok bool) {
	if rx.end != nil {
		return false, false
	}
	released, err := rx.frame()
	if err != nil {
		rx.end = err
		return false, false
	}
	return released, true
}

// frame reads the next frame and delivers its results, and reports
// whether they released a run's waiter.
func (rx *receiver) frame() (released bool, err error) {
	w := rx.w
	body, err := w.conn.Next(rx.spare)
	if err != nil {
		return false, err
	}
	if w.src != nil {
		w.from = w.src.Origin()
	}
	typ, err := wire.PeekType(body)
	if err != nil {
		return false, err
	}
	if typ != wire.TypeResults {
		return false, fmt.Errorf("%w: a worker sends only results after its hello, got %s", wire.ErrMalformed, typ)
	}
	if rx.rs, err = w.decodeCounted(body, rx.rs[:0]); err != nil {
		return false, err
	}
	rs := rx.rs
	laneEnd, laned, err := w.fromLane(rs)
	if err != nil {
		return false, err
	}
	if rx.its, rx.ended, err = w.claim(rs, rx.its[:0], rx.ended[:0], rx); err != nil {
		return false, err
	}
	its := rx.its
	if laned > 0 {
		keepLaned(rs, its)
		w.b.p.stats.laned(laned, &w.b.p.stats.resultBytes)
	}
	// The next frame is read over this one if no result of it is kept
	// past its delivery: their runs borrow them, or their values are
	// copied out.
	rx.spare = nil
	if (borrowed(its) || rx.values.hold(rs)) && cap(body) <= maxKeptBuffer {
		rx.spare = body
	}
	w.answered(rs)
	if w.src != nil {
		w.b.credit(w.from, len(rs))
	}
	// The results of one run, mostly all of a frame's, are counted in
	// at once: the count is shared with the other workers' receivers.
	var run *runState
	n := 0
	for i, it := range its {
		if it.run != run {
			if run != nil {
				released = rx.finish(run, n) || released
			}
			run, n = it.run, 0
		}
		if run.batch != nil {
			rx.batch = append(rx.batch, Result{})
			w.fill(&rx.batch[len(rx.batch)-1], it, &rs[i])
		} else {
			w.deliver(it, &rs[i])
		}
		n++
	}
	if run != nil {
		released = rx.finish(run, n) || released
	}
	if laneEnd > 0 {
		w.up.Release(laneEnd) // delivered: borrowed ones are done with, kept ones copied
	}
	for _, it := range rx.ended {
		rx.done.put(it)
	}
	clear(its)
	clear(rx.ended)
	return released, nil
}

// finish passes the results gathered for run, if it takes them in a batch,
// and counts its n results of the frame in.
func (rx *receiver) finish(run *runState, n int) (last bool) {
	if len(rx.batch) > 0 {
		run.batch(rx.batch)
		clear(rx.batch) // their values and errors are the run's now
		rx.batch = rx.batch[:0]
	}
	return run.finishN(n)
}

// claim finds the item of each result of rs, appending it to its, and
// takes those it completes, all calls of a chunk answered, out of the
// in-flight set, appending them to ended: nothing else refers to them, and
// they are recycled once their results are delivered (a timed-out task is
// known by its id, not its item). A result for a task the worker does not
// hold (or answers twice) is a protocol error; the set is then left as it
// was, for salvage.
func (w *proc) claim(rs []wire.Result, its, ended []*item, rx *receiver) (_, _ []*item, _ error) {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	var size int64
	found, next := w.found[:0], 0
	for i := range rs {
		id := rs[i].ID
		at := w.inflight.find(id, next)
		var it *item
		if at >= 0 {
			it = w.inflight.q[at]
		}
		if it == nil || it.isChunk() && it.chunk.done&(1<<(id-it.id)) != 0 {
			w.unclaim(rs[:i], its, found)
			return its[:0], ended[:0], fmt.Errorf("%w: result for task %d, which the worker does not hold", wire.ErrMalformed, id)
		}
		if err := w.reserved(&rs[i], it); err != nil {
			w.unclaim(rs[:i], its, found)
			return its[:0], ended[:0], err
		}
		boundNanos(&rs[i], now.Sub(it.sent))
		found, its, next = append(found, at), append(its, it), at
		if it.isChunk() {
			if it.chunk.done |= 1 << (id - it.id); it.left() > 0 {
				continue // its next result is likely the next one's
			}
		}
		w.inflight.take(at)
		ended = append(ended, it)
		size += int64(it.size)
		next = at + 1
	}
	w.found = found
	w.inflight.settle()
	if len(its) > 0 {
		w.lastDone = now
	}
	w.n.Add(-int64(len(its)))
	w.b.flying.Add(-int64(len(its)))
	w.bytes.Add(-size)
	select {
	case w.wake <- struct{}{}:
	default:
	}
	if rx != nil {
		w.parkLocked(rx)
	}
	return its, ended, nil
}

// reserved refuses a result of a kind that only the coordinator gives
// (docs/PROTOCOL.md §6): timeout and worker_died always, and cancelled
// unless the task's run has ended, which is when the pool asks a worker to
// cancel it (§5.2). A shared queue's own frame, for tasks no worker
// finished, is the coordinator's.
func (w *proc) reserved(r *wire.Result, it *item) error {
	if r.Err == nil || w.from.Lost != "" {
		return nil
	}
	switch k := r.Err.Kind; {
	case k == wire.KindTimeout, k == wire.KindWorkerDied,
		k == wire.KindCancelled && it.run.ctx.Err() == nil:
		return fmt.Errorf("%w: result of kind %q for task %d, which only the coordinator gives", wire.ErrMalformed, k, r.ID)
	}
	return nil
}

// unclaim undoes what claim did for rs, answered by its at the positions
// found, after a result it could not accept.
func (w *proc) unclaim(rs []wire.Result, its []*item, found []int) {
	for j, it := range its {
		if it.isChunk() {
			it.chunk.done &^= 1 << (rs[j].ID - it.id)
		}
		if w.inflight.q[found[j]] == nil {
			w.inflight.put(found[j], it)
		}
	}
}

// borrowed reports whether the runs of its all borrow their results
// (runState.borrow).
func borrowed(its []*item) bool {
	for _, it := range its {
		if !it.run.borrow {
			return false
		}
	}
	return true
}

// answered counts a frame's results in, before their tasks complete, and
// folds their compute times into the worker's moving average, all but the
// worker's first: a fresh process runs its first call on code and memory
// it has never touched, which can take far longer than the calls after it
// (bench/RESULTS.md, "Design measurements": A worker's first call), and an
// average seeded by it would keep the window small for many round trips.
func (w *proc) answered(rs []wire.Result) {
	n := int64(len(rs))
	avg, timed := w.avg.Load(), rs
	if w.completed.Load() == 0 && n > 0 {
		timed = rs[1:]
	}
	for i := range timed {
		nanos := taskNanos(&timed[i])
		if avg == 0 {
			avg = max(nanos, 1)
		} else {
			avg = max(avg+(nanos-avg)/8, 1)
		}
	}
	w.avg.Store(avg)
	if avg > 0 { // none yet after a first result alone
		w.b.p.noteTask(avg)
	}
	w.slot.tasks.Add(n)
	w.completed.Add(n)
	w.b.crashes.finished()
}

// boundNanos bounds the compute time a worker gives in r by what the
// coordinator's own clock saw, held, the time since the task was sent: a
// worker's figure is its own word, and one past the time it held the task
// is not true (a broken or hostile worker's), and would make the run's
// overhead look negative.
func boundNanos(r *wire.Result, held time.Duration) {
	if held >= 0 && r.Nanos > uint64(held) {
		r.Nanos = uint64(held)
	}
}

// taskNanos is how long the worker says r's function ran, at most an hour.
func taskNanos(r *wire.Result) int64 { return int64(min(r.Nanos, uint64(time.Hour))) }

// deliver passes r, the worker's result for it, to its run, which has yet
// to count it in (runState.finishN).
func (w *proc) deliver(it *item, r *wire.Result) { it.run.each(w.result(it, r)) }

// result returns the Result of r, the worker's result for it.
func (w *proc) result(it *item, r *wire.Result) Result {
	var res Result
	w.fill(&res, it, r)
	return res
}

// fill sets *res, a zero Result, to the Result of r, the worker's result
// for it: in place, for a batch's results are many and each is large.
//
// A result from the shared queue names the worker that sent it, and counts
// the times the queue delivered its task among its attempts.
func (w *proc) fill(res *Result, it *item, r *wire.Result) {
	compute := time.Duration(taskNanos(r))
	worker, pid, attempts := w.slot.id, w.pid, int(it.attempts)
	if w.src != nil {
		worker, pid, attempts = w.from.Worker, w.from.PID, attempts+max(w.from.Delivered-1, 0)
	}
	if r.Err != nil {
		*res = resultOf(it, r, compute)
		te := res.Err.(*TaskError)
		te.Worker, te.PID = worker, pid
	} else {
		res.Raw, res.Compute = r.Value, compute
	}
	res.Worker, res.PID = worker, pid
	res.Index, res.Attempts = it.index+int(r.ID-it.id), attempts
}

// valueBlocks keeps the small result values of frames, copied out of them
// into blocks that many results share, so that the receiver can read the
// next frame over the last one: otherwise each frame takes fresh memory,
// which a short run pays for in page faults. A result that outlives its
// run keeps a block alive, as it kept its whole frame before.
type valueBlocks struct{ block []byte }

const (
	smallValue = 256      // the largest result value copied out of its frame
	valueBlock = 16 << 10 // bytes per block
)

// hold moves the values of rs into blocks, and reports whether it did:
// not if one of them is larger than smallValue, for which copying would
// cost more than the frame's fresh memory; they then stay in the frame.
func (vb *valueBlocks) hold(rs []wire.Result) bool {
	for i := range rs {
		if len(rs[i].Value) > smallValue {
			return false
		}
	}
	for i := range rs {
		v := rs[i].Value
		if v == nil { // a failure: its error's strings are copies already
			continue
		}
		if cap(vb.block)-len(vb.block) < len(v) {
			vb.block = make([]byte, 0, valueBlock)
		}
		at := len(vb.block)
		vb.block = append(vb.block, v...)
		rs[i].Value = vb.block[at:len(vb.block):len(vb.block)]
	}
	return true
}
