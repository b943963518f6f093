package pool

import (
	"fmt"
	"time"
)

// watch enforces Options.TaskTimeout with one timer per worker: it sleeps
// until the deadline of the task the worker is running and, if that task
// is still running then, kills the worker. salvage reports the task as
// timed out and sends the others the worker held elsewhere.
func (w *proc) watch() {
	limit := w.b.p.opts.TaskTimeout
	t := time.NewTimer(limit)
	defer t.Stop()
	due, settling := time.Now().Add(limit), false
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
		left := w.checkDeadline(limit)
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

// checkDeadline kills the worker if its running task is overdue and
// returns 0, or returns how long until that task's deadline.
func (w *proc) checkDeadline(limit time.Duration) time.Duration {
	w.mu.Lock()
	it, start := w.head()
	if it == nil {
		w.mu.Unlock()
		return limit
	}
	if left := time.Until(start.Add(limit)); left > 0 {
		w.mu.Unlock()
		return left
	}
	id := it.running()
	w.timedOut, w.expiredID = true, id
	w.mu.Unlock()
	index := it.index + int(id-it.id) // as the run and its report number it
	w.killFor(fmt.Sprintf("task %d (%s) ran longer than the task timeout of %v", index, it.call.Func(), limit), true)
	return 0
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
