package pool

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/brinehq/brine/pkg/wire"
)

// Flow control per worker (see the package doc).
const (
	maxWindow      = 1024             // most tasks in flight to one worker
	minWindow      = 2                // one running, one waiting behind it
	flightTarget   = time.Millisecond // keep about this much work queued per worker
	maxFlightBytes = 8 << 20          // most encoded task bytes in flight to one worker
	maxFrameBytes  = 256 << 10        // a batch frame closes past this size
)

// window is how many tasks the worker may hold: enough to keep it busy for
// flightTarget at the measured task duration, so that short tasks stream
// and long ones are not hoarded by one worker.
func (w *proc) window() int64 {
	avg := w.avg.Load()
	if avg <= 0 {
		return minWindow
	}
	return min(max(int64(flightTarget)/avg, minWindow), maxWindow)
}

// waitRoom blocks until the worker may take another task. It returns false
// when the worker or the pool is stopping.
func (w *proc) waitRoom() bool {
	for w.n.Load() >= w.window() || w.bytes.Load() >= maxFlightBytes {
		select {
		case <-w.wake:
		case <-w.stop:
			return false
		case <-w.b.p.quit:
			return false
		}
	}
	return true
}

// send feeds the worker until it or the pool stops.
func (w *proc) send() {
	var buf []byte
	batch := make([]*item, 0, maxWindow)
	for w.waitRoom() {
		it := w.b.p.next(w.b.p.quit, w.stop)
		if it == nil {
			return
		}
		batch = append(batch[:0], it)
		for room := w.window() - w.n.Load() - 1; room > 0; room-- {
			more := w.b.p.tryNext()
			if more == nil {
				break
			}
			batch = append(batch, more)
		}
		buf = w.encode(buf[:0], batch)
		if len(buf) == 0 {
			continue
		}
		if _, err := w.in.Write(buf); err != nil {
			// Its input is gone: the worker is dead or broken. The receiver
			// sees it end and salvages what it held.
			w.kill()
			return
		}
	}
}

// encode appends the frames for batch to buf and registers its tasks as in
// flight. Tasks that cannot go (cancelled, unencodable) are completed here.
func (w *proc) encode(buf []byte, batch []*item) []byte {
	per := w.b.p.opts.Batch
	var bw wire.BatchWriter
	n, frameStart := 0, 0
	for _, it := range batch {
		if err := it.run.ctx.Err(); err != nil {
			it.cancelled(err)
			continue
		}
		if n == 0 {
			frameStart = len(buf)
			buf, bw = wire.BeginTasks(buf)
		}
		at := len(buf)
		var err error
		if buf, err = appendTask(buf, it); err != nil {
			if n == 0 {
				buf = buf[:frameStart] // drop the frame begun for it
			}
			it.complete(Result{Err: &TaskError{Kind: wire.KindEncode, Message: err.Error(), Func: it.call.Func()}})
			continue
		}
		it.attempts++
		it.size = len(buf) - at
		w.track(it)
		n++
		if n == per || len(buf)-frameStart >= maxFrameBytes {
			buf, _ = bw.End(buf, n) // within MaxFrame: maxFrameBytes plus one task
			n = 0
		}
	}
	if n > 0 {
		buf, _ = bw.End(buf, n)
	}
	return buf
}

func (w *proc) track(it *item) {
	w.mu.Lock()
	w.inflight[it.id] = it
	w.mu.Unlock()
	w.n.Add(1)
	w.bytes.Add(int64(it.size))
}

// receive reads results until the worker's output ends, and returns nil for
// a clean end or the protocol error that makes the worker untrustworthy.
func (w *proc) receive() error {
	r := wire.NewReader(w.out, 256<<10, 0)
	var rs []wire.Result
	var its []*item
	for {
		body, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		typ, err := wire.PeekType(body)
		if err != nil {
			return err
		}
		if typ != wire.TypeResults {
			return fmt.Errorf("%w: a worker sends only results after its hello, got %s", wire.ErrMalformed, typ)
		}
		if rs, err = wire.DecodeResults(body, rs[:0]); err != nil {
			return err
		}
		if its, err = w.claim(rs, its[:0]); err != nil {
			return err
		}
		for i, it := range its {
			w.finish(it, &rs[i])
		}
	}
}

// claim takes the tasks that rs answers out of the in-flight set. A result
// for a task the worker does not hold is a protocol error; the set is then
// left as it was, for salvage.
func (w *proc) claim(rs []wire.Result, its []*item) ([]*item, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var size int64
	for i := range rs {
		it := w.inflight[rs[i].ID]
		if it == nil {
			for _, back := range its {
				w.inflight[back.id] = back
			}
			return its[:0], fmt.Errorf("%w: result for task %d, which the worker does not hold", wire.ErrMalformed, rs[i].ID)
		}
		delete(w.inflight, it.id)
		its = append(its, it)
		size += int64(it.size)
	}
	w.n.Add(-int64(len(its)))
	w.bytes.Add(-size)
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return its, nil
}

func (w *proc) finish(it *item, r *wire.Result) {
	nanos := int64(min(r.Nanos, uint64(time.Hour)))
	if avg := w.avg.Load(); avg == 0 {
		w.avg.Store(max(nanos, 1))
	} else {
		w.avg.Store(max(avg+(nanos-avg)/8, 1))
	}
	res := resultOf(it, r, time.Duration(nanos))
	res.Worker, res.PID = w.slot.id, w.pid
	if te, ok := res.Err.(*TaskError); ok {
		te.Worker, te.PID = w.slot.id, w.pid
	}
	w.slot.tasks.Add(1)
	it.complete(res)
}
