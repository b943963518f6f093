package pool

import (
	"context"
	"sync"
	"time"

	"github.com/brinehq/brine/pkg/wire"
)

// A Run of one call on an idle process pool is sent and answered on its
// caller's thread, as a program that talks to a child over a pipe would: the
// caller writes the call's frame to an idle worker and reads the result
// itself, in place of the worker's receiver, which is parked meanwhile. The
// usual way, the call passes from the caller to the sender and its result
// from the receiver back to the caller, three goroutines on two or three
// threads; the kernel then wakes the worker and the coordinator on
// different processors, one wake-up across processors each way. With one
// thread writing and then blocking in read(2) (on a descriptor the poller
// does not watch: the pipe transport's blocking reads), it can run the worker where the writer
// was, and the round trip on one processor: one-call Runs got faster on
// pools of one and of two workers, the most when the kernel kept both on
// one processor (bench/RESULTS.md, "Design measurements": Direct one-call
// Runs).
//
// Both ends then poll for each other a while before they sleep
// (Options.Spin): the caller for its result, and the worker, which the
// call's frame asks to (docs/PROTOCOL.md §5, Spin), for the next call. A
// thread that sleeps in read(2) is woken by the write, several
// microseconds each way on a virtual machine; one that polls sees the
// bytes at once, and one-call Runs beat even a raw pipe round trip of two
// blocking processes (bench/RESULTS.md, "Design measurements": Polling both
// ends). The reading is handed from the receiver to the caller and back
// by the worker's lending (lend.go).

// maxParkingWait bounds the yields of a caller waiting for a receiver to
// park, which delivers the results of its last frame first: a run's
// callback that blocks holds it up, and the caller then queues its call.
const maxParkingWait = 64

// maxDirectFrame bounds the frame of a call sent directly: larger ones go
// through the sender, which may place their arguments in the worker's lane.
const maxDirectFrame = 4 << 10

// directBufs are frame buffers for calls sent directly.
var directBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// mayDirect reports whether p's lone calls may be sent directly: process
// mode, with no task timeout (the watchdog times tasks by when the receiver
// takes their results) and no recycling of workers (counted by the sender).
func (o *Options) mayDirect() bool {
	return o.Mode == Process && o.TaskTimeout == 0 && o.MaxTasksPerWorker == 0
}

// directCall is a lone call on its way directly to a worker: its frame,
// encoded, and the worker whose reading its caller borrowed.
type directCall struct {
	w     *proc
	buf   *[]byte // from directBufs, holding frame
	frame []byte
}

// tryDirect encodes it, the one call of its run, and registers it in
// flight to a worker whose receiver is parked, whose reading the caller
// then holds: the caller must call the directCall's send, which writes
// the frame and reads the result. It returns false, having done nothing,
// when no worker is idle, other work waits, or the call is not one to send
// directly.
func (p *Pool) tryDirect(it *item) (directCall, bool) {
	if !p.opts.mayDirect() || p.queue.len() != 0 || len(p.retry) != 0 || p.closed.Load() ||
		it.run.ctx.Err() != nil { // the sender cancels it
		return directCall{}, false
	}
	b := p.b.lender()
	if b == nil || b.parked.Load() == 0 {
		return directCall{}, false
	}
	bufp := directBufs.Get().(*[]byte)
	start := time.Now()
	frame, bw := wire.BeginTasks((*bufp)[:0])
	at := len(frame)
	frame, err := appendTask(frame, it)
	it.size = len(frame) - at
	if err == nil {
		frame, err = bw.EndSpin(frame, 1, p.opts.Spin) // the worker polls for the next lone call
	}
	if err != nil || len(frame) > maxDirectFrame {
		directBufs.Put(bufp)
		return directCall{}, false // the sender encodes it, or fails it
	}
	took := time.Since(start)
	for _, s := range b.slots {
		s.mu.Lock()
		w := s.cur
		s.mu.Unlock()
		it.sent = start
		if w != nil && w.borrow(it) {
			p.directCalls.Add(1)
			p.stats.encoded(len(frame), took)
			p.noteCallBytes(int64(it.size))
			return directCall{w: w, buf: bufp, frame: frame}, true
		}
	}
	directBufs.Put(bufp)
	return directCall{}, false
}

// send writes the call and reads the worker's output, whose reading the
// caller borrowed, until rs, the caller's run, has its results or the
// output fails; then it gives the reading back, even if the run's callback
// panics. The write comes right before the read, as in a bare round trip.
// Once rs.ctx ends, the worker is killed after the grace period (afterCancel),
// which ends the read. A failed write leaves the call in flight, for the
// receiver to salvage once the worker's output ends.
func (dc directCall) send(rs *runState) {
	w := dc.w
	defer w.giveBack()
	if rs.ctx.Done() != nil {
		stop := context.AfterFunc(rs.ctx, func() { w.b.p.afterCancel(rs) })
		defer stop()
	}
	err := w.conn.Send(dc.frame) // a failure is handled on the caller's goroutine, which waits for the call anyway
	directBufs.Put(dc.buf)
	if err != nil {
		return
	}
	rx, spin := w.rx, w.b.p.callerSpin()
	for rs.left.Load() != 0 {
		if spin > 0 && !w.conn.Buffered() {
			w.conn.Poll(spin)
		}
		if _, ok := rx.step(); !ok {
			return
		}
	}
}

// callerSpin is how long a lone call's caller polls for its result before
// it sleeps: Options.Spin, unless the pool's tasks lately ran so long that
// the poll would end before the result came.
func (p *Pool) callerSpin() time.Duration {
	if p.shortTasks() {
		return p.opts.Spin
	}
	return 0
}
