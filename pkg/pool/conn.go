package pool

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/brinehq/brine/internal/prefault"
	"github.com/brinehq/brine/pkg/wire"
)

// Flow control per worker (see the package doc).
const (
	maxWindow      = 4096             // most tasks in flight to one worker (see window)
	minWindow      = 2                // one running, one waiting behind it
	flightTarget   = time.Millisecond // keep about this much work queued per worker
	maxFlightBytes = 2 << 20          // most encoded task bytes in flight to one worker: more are not faster, only colder
	maxFrameBytes  = 256 << 10        // a batch frame closes past this size
)

// window is how many tasks the worker may hold: enough to keep it busy for
// flightTarget at the measured task duration, so that short tasks stream
// and long ones are not hoarded by one worker, and no more than
// maxFlightBytes of them at the measured task size, which keeps large
// arguments within the worker's lane (lane.DefaultSize).
//
// maxWindow lets tasks of 250 ns and more have their flightTarget in
// flight; trivial ones come close. A window of 1,024 held a worker to a
// fraction of it, and with half a window per frame (see nextBatch) a worker
// that ran through its frame often found the next not yet sent, and
// blocked for it: more context switches, and slower runs. Windows of
// 2,048 and 8,192 did no better than 4,096 (bench/RESULTS.md, "Design
// measurements": Window of 4,096).
//
// The shared queue's window is that of all the workers it feeds, twice
// that for short tasks.
func (w *proc) window() int64 {
	if n := w.b.p.opts.Prefetch; n > 0 {
		return int64(min(n, maxWindow)) * w.spread
	}
	avg := w.avg.Load()
	if avg <= 0 {
		return minWindow * w.spread
	}
	n := min(max(int64(flightTarget)/avg, minWindow), maxWindow)
	if size := w.b.p.callBytes.Load(); size > 0 {
		n = min(n, max(maxFlightBytes/size, minWindow))
	}
	if w.spread > 1 && n >= queueDouble {
		// Short tasks: a message of the shared queue carries a worker's
		// window, and each worker holds two (bench/RESULTS.md, "Design
		// measurements": Messages of the shared queue).
		return 2 * n * w.spread
	}
	return n * w.spread
}

// queueDouble is the least window of short tasks, at which the shared
// queue's window doubles.
const queueDouble = maxChunk

// shortOfMessage reports whether the shared queue, of window tasks for
// spread workers and holding n, waits for more results before it sends the
// waiting tasks: a message of short tasks is a worker's window (see
// nextBatch), and it has room for fewer than that while more wait. Every
// message costs the same on each side (its publish, a worker's fetch and
// ack, a message of results), whatever it carries, and results come back
// in parts, each freeing a little room: sent as they came, a run went in
// up to twice the messages, many of them small (bench/RESULTS.md, "Design
// measurements": Whole messages). A queue that has room for all the tasks
// waiting sends them at once.
func shortOfMessage(window, spread, n, waiting int64) bool {
	msg, room := window/(2*spread), window-n
	return msg >= queueDouble && room < msg && waiting > room
}

// waitRoom blocks until the worker may take another task: it holds fewer
// than its window, and no suspect (see retryOrFail); the shared queue,
// besides, has room for a whole message when one waits (see
// shortOfMessage). It returns false when the worker or the pool is
// stopping.
func (w *proc) waitRoom() bool {
	for w.n.Load() >= w.window() || (w.solo && w.n.Load() > 0) ||
		w.spread > 1 && shortOfMessage(w.window(), w.spread, w.n.Load(), int64(w.b.p.queue.waiting())) {
		if !w.waitResult() {
			return false
		}
	}
	return true
}

// waitResult waits for a result, and returns false instead when the worker
// or the pool is stopping.
func (w *proc) waitResult() bool {
	select {
	case <-w.wake:
		return true
	case <-w.stop:
		return false
	case <-w.b.p.quit:
		return false
	}
}

// send feeds the worker until it or the pool stops, or until it has sent
// Options.MaxTasksPerWorker tasks; it then closes the worker's input, so the
// worker finishes what it holds and exits.
func (w *proc) send() {
	defer w.closeInput()
	if w.member { // its tasks come from the shared queue
		select {
		case <-w.stop:
		case <-w.b.p.quit:
		}
		return
	}
	var buf []byte
	if w.b.p.chunks != nil {
		buf = prefault.Slice[byte](shortFrameOut) // see frameResults
	}
	var carry *item // a suspect met while filling a batch: it goes next, alone
	defer func() {
		if carry != nil {
			w.b.p.retry <- carry // never blocks: it is not in flight
		}
	}()
	batch := make([]*item, 0, maxWindow)
	limit := w.b.p.opts.MaxTasksPerWorker
	for w.waitRoom() {
		var ok bool
		if batch, carry, ok = w.nextBatch(batch[:0], carry, limit); !ok {
			return
		}
		buf = w.encodeCounted(buf[:0], batch)
		// A failed send ends the sender: the pool closed the input, or the
		// worker died or stopped reading, and the transport ends it.
		if len(buf) > 0 && w.conn.Send(buf) != nil {
			return
		}
		if cap(buf) > maxKeptBuffer {
			buf = nil // a large payload's frame: kept, it would double what the next one costs
		}
		if limit > 0 && w.sent >= limit {
			w.retire()
			return
		}
	}
}

// nextBatch takes the tasks to send next: carry or the next waiting task,
// then as many more as the worker has room for, up to a suspect, which is
// returned as the next carry. A suspect goes alone, once the worker is
// idle. ok is false when the worker or the pool is stopping.
func (w *proc) nextBatch(batch []*item, carry *item, limit int) (_ []*item, _ *item, ok bool) {
	it := carry
	if it == nil {
		if it = w.b.p.next(w.b.p.quit, w.stop); it == nil {
			return batch, nil, false
		}
	}
	// From now until the batch is tracked, no caller sends its lone call
	// here directly (see direct.go); one that did while this sender waited
	// for work may have taken the worker's last room, and the task then
	// goes to another worker, as a retry would.
	w.mu.Lock()
	full := carry == nil && w.n.Load() >= w.window()
	w.lend.taking = !full
	w.mu.Unlock()
	if full {
		w.b.p.retry <- it // never blocks: it is not in flight
		return batch, nil, true
	}
	w.solo = it.alone
	if it.alone {
		for w.n.Load() > 0 {
			if !w.waitResult() {
				return batch, it, false
			}
		}
		return append(batch, it), nil, true
	}
	batch = append(batch, it)
	// At most half a worker's window in one frame: a worker writes the
	// results of a frame as it ends it when they are many (see the
	// worker's flushResults), so with a second frame queued behind the
	// first it runs on while the results of the first come back and a
	// third goes.
	window := w.window()
	room := min(window/(2*w.spread), window-w.n.Load()) - int64(it.count())
	if limit > 0 {
		room = min(room, int64(limit-w.sent-1))
	}
	for ; room > 0; room-- {
		more := w.b.p.tryRetry()
		if more == nil {
			break
		}
		if more.alone {
			return batch, more, true
		}
		batch = append(batch, more)
	}
	// New work holds no suspect: as much as there is room for, at once.
	return w.b.p.queue.take(batch, int(room)), nil, true
}

// retire stops feeding the worker and has its supervisor start the
// replacement while it drains.
func (w *proc) retire() {
	w.retired.Store(true)
	if !w.b.closing() {
		w.slot.countRestart()
	}
	w.closeInput()
	w.slot.events <- procEvent{w: w, retired: true}
}

// encode appends the frames for batch to buf and registers its tasks as in
// flight. Tasks that cannot go (cancelled, unencodable) are completed here.
// A chunk goes as one Calls frame to a worker that takes them, and as its
// calls' tasks to one that does not; one that cannot be encoded whole, or
// exceeds a frame's bytes, is split into single tasks.
func (w *proc) encode(buf []byte, batch []*item) []byte {
	per := w.b.p.opts.Batch
	calls := w.hello.Has(wire.FeatureCalls)
	tracked := w.tracked[:0]
	var bw wire.BatchWriter
	n, frameStart := 0, 0
	var callBytes int // of the last call encoded, for the size of chunks
	var laned int     // payload bytes placed in the down lane
	for i := 0; i < len(batch); i++ {
		it := batch[i]
		if err := it.run.ctx.Err(); err != nil {
			it.cancelled(err)
			continue
		}
		if it.isChunk() {
			if n > 0 { // the Tasks frame under way ends before the chunk
				buf, _ = bw.End(buf, n)
				n = 0
			}
			var ok bool
			if buf, ok = w.appendChunk(buf, it, calls); !ok {
				// Its calls go one by one, next.
				batch = slices.Insert(batch, i+1, it.split()...)
				continue
			}
			it.attempts++
			callBytes = it.size / it.count()
			tracked = append(tracked, it)
			continue
		}
		if n == 0 {
			frameStart = len(buf)
			buf, bw = wire.BeginTasks(buf)
		}
		at := len(buf)
		var err error
		var inLane int
		if buf, inLane, err = w.appendTaskLaned(buf, it); err == nil && len(buf)-at > maxTaskBytes {
			err = fmt.Errorf("its arguments take %d bytes encoded, more than the %d a frame holds (wire.MaxFrame): "+
				"split them over several tasks, or pass where the data is (a path) instead of the data", len(buf)-at, maxTaskBytes)
			buf = buf[:at]
		}
		if err != nil {
			if n == 0 {
				buf = buf[:frameStart] // drop the frame begun for it
			}
			it.complete(Result{Err: &TaskError{Kind: wire.KindEncode, Message: err.Error(), Func: it.call.Func()}})
			continue
		}
		if n > 0 && len(buf)-frameStart > maxTaskBytes {
			// Too large for the frame under way: it begins the next.
			buf, bw, frameStart = nextFrame(buf, bw, n, at)
			n = 0
		}
		it.attempts++
		it.size = len(buf) - at + inLane
		laned += inLane
		callBytes = it.size
		tracked = append(tracked, it)
		n++
		if n == per || len(buf)-frameStart >= maxFrameBytes {
			buf, _ = bw.End(buf, n) // within MaxFrame: maxFrameBytes plus one task
			n = 0
		}
	}
	if n > 0 {
		buf, _ = bw.End(buf, n)
	}
	if callBytes > 0 {
		w.b.p.noteCallBytes(int64(callBytes))
	}
	if laned > 0 {
		w.b.p.stats.laned(laned, &w.b.p.stats.taskBytes)
	}
	w.track(tracked, time.Now())
	clear(tracked)
	w.tracked = tracked[:0]
	return buf
}

// maxTaskBytes is the most one task may take in a Tasks frame: the frame's
// limit less its header.
const maxTaskBytes = wire.MaxFrame - 64

// maxKeptBuffer is the largest frame buffer a worker's sender or receiver
// keeps for the next frame: a larger one, made for a large payload, is let
// go once used, so that a worker that carried one payload of tens of MiB
// does not hold its size for the rest of its life.
const maxKeptBuffer = 4 << 20

// nextFrame ends the Tasks frame under way, of n tasks, before the task
// appended to buf at at, which begins a new frame. It returns buf, the new
// frame's writer and start.
func nextFrame(buf []byte, bw wire.BatchWriter, n, at int) ([]byte, wire.BatchWriter, int) {
	task := bytes.Clone(buf[at:])
	buf, _ = bw.End(buf[:at], n) // within MaxFrame: at most maxFrameBytes plus a task that fitted before
	start := len(buf)
	buf, bw = wire.BeginTasks(buf)
	return append(buf, task...), bw, start
}

// appendChunk appends chunk it to buf as a Calls frame, or as a Tasks
// frame of its calls when the worker does not take Calls, and sets its
// size. It returns buf as it was and false when the chunk cannot be sent
// whole: a call cannot be encoded, or the frame would exceed maxFrameBytes.
func (w *proc) appendChunk(buf []byte, it *item, asCalls bool) ([]byte, bool) {
	start := len(buf)
	var bw wire.BatchWriter
	if asCalls {
		buf, bw = wire.BeginCalls(buf, it.id, it.call.Func(), it.call.Bound())
	} else {
		buf, bw = wire.BeginTasks(buf)
	}
	var err error
	calls := it.chunk.calls()
	for k, c := range calls {
		if !asCalls {
			buf = wire.AppendTaskHead(buf, it.id+uint64(k), c.Func(), c.Bound())
		}
		if buf, err = c.AppendArgs(buf); err != nil {
			return buf[:start], false
		}
		if len(buf)-start > maxFrameBytes {
			return buf[:start], false
		}
	}
	if buf, err = bw.End(buf, len(calls)); err != nil {
		return buf[:start], false
	}
	it.size = len(buf) - start
	return buf, true
}

// track registers its as in flight, sent at now: under one lock and one
// count for the whole batch, before it is written.
func (w *proc) track(its []*item, now time.Time) {
	var size, calls int64
	for _, it := range its {
		it.sent = now
		size += int64(it.size)
		calls += int64(it.count())
	}
	w.sent += int(calls)
	w.mu.Lock()
	if len(its) > 0 {
		w.pushLocked(its, calls, size)
		w.readOn()
	}
	w.lend.taking = false
	w.mu.Unlock()
}

// pushLocked registers its, of calls calls and size bytes, as in flight.
// w.mu must be held: they are counted with the lock held, as takeInflight
// uncounts them, for a worker that died meanwhile must not leave them
// counted in flight.
func (w *proc) pushLocked(its []*item, calls, size int64) {
	for _, it := range its {
		w.inflight.push(it)
	}
	w.n.Add(calls)
	w.b.flying.Add(calls)
	w.bytes.Add(size)
}
