package pool

import (
	"fmt"
	"time"
)

// watch is the worker's watchdog, with one timer: it kills the worker when
// the task it runs passes Options.TaskTimeout (salvage then reports the
// task as timed out and sends the others the worker held elsewhere), and
// warns when that task has run for Options.WarnAfter, then twice as long,
// and so on.
func (w *proc) watch() {
	o := &w.b.p.opts
	idle := positiveMin(o.TaskTimeout, o.WarnAfter)
	t := time.NewTimer(idle)
	defer t.Stop()
	due, settling := time.Now().Add(idle), false
	var h held
	for {
		select {
		case <-w.done:
			return
		case <-t.C:
		}
		// Woken late, this process was stopped or starved (SIGSTOP, a
		// suspended VM): results that arrived meanwhile may be unread, and
		// their tasks look overdue. The receiver reads them first.
		if time.Since(due) > lateWake && !settling {
			settling = true
			due = time.Now().Add(settle)
			t.Reset(settle)
			continue
		}
		settling = false
		left := w.check(o.TaskTimeout, o.WarnAfter, idle, &h)
		if left <= 0 {
			return
		}
		// A deadline only moves later as results arrive or tasks are
		// sent to an idle worker, so waking at this one never misses one.
		due = time.Now().Add(left)
		t.Reset(left)
	}
}

// A watchdog that wakes more than lateWake after its deadline lets the
// worker's receiver settle before it judges the deadline.
const (
	lateWake = 100 * time.Millisecond
	settle   = 100 * time.Millisecond
)

// held is what a watchdog knows of the task it last warned about.
type held struct {
	id   uint64        // its id; 0 before the first warning
	next time.Duration // how long it may run before the next warning
}

// check kills the worker if its running task is overdue and returns 0;
// else it warns if that task has run past its next warning, and returns how
// long until its deadline or next warning, or idle when the worker holds
// no task.
func (w *proc) check(limit, warn, idle time.Duration, h *held) time.Duration {
	w.mu.Lock()
	it, start := w.head()
	if it == nil {
		w.mu.Unlock()
		return idle
	}
	id := it.running()
	ran := time.Since(start)
	index := it.index + int(id-it.id) // as the run and its report number it
	name := it.call.Func()            // it is recycled once its result is in
	if limit > 0 && ran >= limit {
		w.timedOut, w.expiredID = true, id
		w.mu.Unlock()
		w.killFor(fmt.Sprintf("task %d (%s) ran longer than the task timeout of %v", index, name, limit), true)
		return 0
	}
	w.mu.Unlock()
	left := time.Duration(1<<63 - 1)
	if limit > 0 {
		left = limit - ran
	}
	if warn > 0 {
		if h.id != id {
			*h = held{id: id, next: warn}
		}
		if ran >= h.next {
			bound := "no task timeout is set: the run waits for it"
			if limit > 0 {
				bound = fmt.Sprintf("the task timeout of %v ends it", limit)
			}
			w.b.p.opts.Logger.Warn().Int("worker", w.slot.id).Int("pid", w.pid).Int("task", index).
				Str("func", name).
				Msgf("task %d has run for %v with no result: still running, or its worker is stuck (%s)",
					index, roundHeld(ran), bound)
			for h.next <= ran {
				h.next *= 2
			}
		}
		left = min(left, h.next-ran)
	}
	return left
}

// roundHeld rounds d for a warning: to the second from 10 s, else to the
// millisecond.
func roundHeld(d time.Duration) time.Duration {
	if d >= 10*time.Second {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}

// positiveMin returns the least of the positive durations ds.
func positiveMin(ds ...time.Duration) time.Duration {
	m := time.Duration(0)
	for _, d := range ds {
		if d > 0 && (m == 0 || d < m) {
			m = d
		}
	}
	return m
}

// running is the id of the task of it that a worker runs while it holds
// it first: a chunk's first call without a result, as the worker runs
// them in order.
func (it *item) running() uint64 {
	if it.chunk == nil {
		return it.id
	}
	for k := range it.chunk.calls() {
		if it.chunk.done&(1<<k) == 0 {
			return it.id + uint64(k)
		}
	}
	return it.id
}

// head returns the task the worker is running and when it started, as far
// as the coordinator can tell. A worker runs its tasks one at a time in the
// order it receives them (docs/PROTOCOL.md), so the oldest task in flight
// is the one running, and it started no earlier than it was sent nor than
// the last result arrived. As long as the worker sends each result soon
// after its task ends (brine's worker does within a millisecond), the
// estimate errs late, never early: no task is timed out before it has run
// for the full timeout. w.mu must be held.
func (w *proc) head() (*item, time.Time) {
	if it := w.inflight.first(); it != nil {
		return it, later(it.sent, w.lastDone)
	}
	return nil, time.Time{}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
