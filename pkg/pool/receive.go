package pool

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/brinehq/brine/pkg/wire"
)

// receive reads results from src, the worker's output, until it ends, and
// returns nil for a clean end or the protocol error that makes the worker
// untrustworthy: a malformed or oversized frame, a frame cut short, a
// message other than Results, a result for a task the worker does not
// hold. Every result it accepts completes its task exactly once; the tasks
// it has not answered stay in flight, for salvage.
func (w *proc) receive(src io.Reader) error {
	r := wire.NewReader(src, 256<<10, 0)
	var rs []wire.Result
	var its []*item
	done := itemSink{p: w.b.p}
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
		if rs, err = w.decodeCounted(body, rs[:0]); err != nil {
			return err
		}
		var reuse bool
		if its, reuse, err = w.claim(rs, its[:0]); err != nil {
			return err
		}
		w.answered(rs)
		// The results of one run, mostly all of a frame's, are counted in
		// at once: the count is shared with the other workers' receivers.
		var run *runState
		n := 0
		for i, it := range its {
			if it.run != run {
				if run != nil {
					run.finishN(n)
				}
				run, n = it.run, 0
			}
			w.deliver(it, &rs[i])
			n++
			if reuse {
				done.put(it)
			}
		}
		if run != nil {
			run.finishN(n)
		}
		clear(its)
	}
}

// claim takes the tasks that rs answers out of the in-flight set. A result
// for a task the worker does not hold (or answers twice) is a protocol
// error; the set is then left as it was, for salvage. reuse says whether
// nothing else refers to the tasks, so that their items can be recycled once
// complete: always, unless a task's timeout is killing the worker, whose
// salvage looks for that task by its item.
func (w *proc) claim(rs []wire.Result, its []*item) (_ []*item, reuse bool, _ error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var size int64
	found, next := w.found[:0], 0
	for i := range rs {
		at := w.inflight.find(rs[i].ID, next)
		if at < 0 {
			for j, back := range its {
				w.inflight.put(found[j], back)
			}
			return its[:0], false, fmt.Errorf("%w: result for task %d, which the worker does not hold", wire.ErrMalformed, rs[i].ID)
		}
		it := w.inflight.take(at)
		found, next = append(found, at), at+1
		its = append(its, it)
		size += int64(it.size)
	}
	w.found = found
	w.inflight.settle()
	if w.b.p.opts.TaskTimeout > 0 && len(its) > 0 {
		w.lastDone = time.Now()
	}
	w.n.Add(-int64(len(its)))
	w.bytes.Add(-size)
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return its, w.expired == nil, nil
}

// answered counts a frame's results in, before their tasks complete, and
// folds their compute times into the worker's moving average.
func (w *proc) answered(rs []wire.Result) {
	avg := w.avg.Load()
	for i := range rs {
		nanos := taskNanos(&rs[i])
		if avg == 0 {
			avg = max(nanos, 1)
		} else {
			avg = max(avg+(nanos-avg)/8, 1)
		}
	}
	w.avg.Store(avg)
	w.slot.tasks.Add(int64(len(rs)))
	w.completed.Add(int64(len(rs)))
}

// taskNanos is how long the worker says r's function ran, at most an hour.
func taskNanos(r *wire.Result) int64 { return int64(min(r.Nanos, uint64(time.Hour))) }

// deliver passes r, the worker's result for it, to its run, which has yet
// to count it in (runState.finishN).
func (w *proc) deliver(it *item, r *wire.Result) {
	res := resultOf(it, r, time.Duration(taskNanos(r)))
	res.Worker, res.PID = w.slot.id, w.pid
	if te, ok := res.Err.(*TaskError); ok {
		te.Worker, te.PID = w.slot.id, w.pid
	}
	it.deliver(res)
}
