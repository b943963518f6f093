package pool

import (
	"fmt"
	"sync"
	"time"

	"github.com/brinehq/brine/pkg/wire"
)

// supervisor keeps one slot served: it replaces the slot's process when it
// dies (with a backoff when processes die without doing anything) and when
// it retires after Options.MaxTasksPerWorker tasks.
type supervisor struct {
	b       *processes
	s       *slot
	serving sync.WaitGroup // one goroutine per process, serving it
	live    int            // processes of the slot not yet ended
	owed    bool           // a retired process awaits its replacement
	fails   int            // deaths and failed spawns in a row, for the backoff
}

func (b *processes) supervise(s *slot, first *proc) {
	defer b.wg.Done()
	sv := &supervisor{b: b, s: s}
	sv.serve(first) // added to s by startProcesses
	for sv.live > 0 {
		ev := <-s.events
		if ev.retired {
			sv.retired()
		} else {
			sv.ended(ev.w, ev.exit)
		}
	}
	sv.serving.Wait()
}

// start makes w the slot's current process and serves it.
func (sv *supervisor) start(w *proc) {
	sv.s.add(w)
	sv.serve(w)
}

// serve serves w, the slot's current process already, on a goroutine of
// its own, which salvages its tasks once it ends and then tells the
// supervisor.
func (sv *supervisor) serve(w *proc) {
	sv.live++
	sv.b.serving.Add(1)
	sv.serving.Go(func() {
		exit := w.serve()
		sv.b.serving.Add(-1)
		sv.s.remove(w, !w.retired.Load()) // a retired one was counted when it retired
		sv.b.salvage(w, exit)
		sv.s.events <- procEvent{w: w, exit: exit}
	})
}

// retired replaces the current process, which has taken its last task and
// now drains. The replacement starts at once unless an older process of the
// slot is still draining: a slot never runs more than two.
func (sv *supervisor) retired() {
	switch {
	case sv.b.closing():
	case sv.live > 1:
		sv.owed = true
	default:
		sv.replace()
	}
}

func (sv *supervisor) ended(w *proc, exit *WorkerExitError) {
	sv.live--
	if sv.b.closing() {
		return
	}
	if w.retired.Load() {
		if sv.owed {
			sv.owed = false
			sv.replace()
		}
		return
	}
	log := sv.b.p.opts.Logger.Warn()
	if _, _, blameless := w.verdict(); blameless {
		log = sv.b.p.opts.Logger.Info() // the pool killed it, and said why
	}
	log.Int("worker", sv.s.id).Int("pid", w.pid).Err(exit).Msg("replacing worker")
	// Back off when processes die before completing anything, so that a
	// crash loop (a bad binary, a task that kills every worker) does not spin.
	if w.completed.Load() > 0 {
		sv.fails = 0
	} else {
		sv.fails++
	}
	sv.replace()
}

func (sv *supervisor) replace() {
	if next := sv.b.respawn(sv.s, &sv.fails); next != nil {
		sv.start(next)
	}
}

// spawnFailuresBroken is how many spawns in a row must fail, with no process
// serving anywhere in the pool, before the pool fails the waiting tasks
// rather than let them wait for a worker that may never start.
const spawnFailuresBroken = 3

// respawn starts a process for s, retrying with backoff, or returns nil once
// the pool closes.
func (b *processes) respawn(s *slot, fails *int) *proc {
	spawnFails := 0
	var lastErr error
	for {
		var broken error
		if spawnFails >= spawnFailuresBroken {
			broken = fmt.Errorf("no worker process can be started: %w", lastErr)
		}
		if !b.pause(backoff(*fails), broken) {
			return nil
		}
		next, err := b.spawn(b.ctx, s)
		if err == nil {
			return next
		}
		if b.closing() {
			return nil
		}
		*fails++
		spawnFails++
		lastErr = err
		b.p.opts.Logger.Error().Int("worker", s.id).Err(err).Msg("respawning worker")
	}
}

func backoff(fails int) time.Duration {
	if fails == 0 {
		return 0
	}
	return min(time.Duration(1<<min(fails, 10))*5*time.Millisecond, 2*time.Second)
}

// pause waits d, and reports false if the pool closes first. When broken is
// not nil and no process of the pool is serving, it fails the tasks that
// wait meanwhile: no worker may ever start to run them.
func (b *processes) pause(d time.Duration, broken error) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		var ready chan struct{}
		var retry chan *item
		if broken == nil {
			broken = b.crashes.broken() // looked at again as the backoff goes on
		}
		if broken != nil && (b.serving.Load() == 0 || b.crashes.broken() != nil) {
			ready, retry = b.p.queue.ready, b.p.retry
		}
		select {
		case <-t.C:
			return true
		case <-b.p.quit:
			return false
		case it := <-retry:
			b.noWorker(it, broken)
		case <-ready:
			if it := b.p.queue.takeOne(); it != nil {
				b.noWorker(it, broken)
			}
		}
	}
}

func (b *processes) noWorker(it *item, err error) {
	if cerr := it.run.ctx.Err(); cerr != nil {
		it.cancelled(cerr)
		return
	}
	it.complete(Result{Err: &TaskError{Kind: wire.KindWorkerDied, Func: it.call.Func(), Cause: err, Message: err.Error()}})
}

// salvage gives the tasks a dead worker held another chance, or fails them.
func (b *processes) salvage(w *proc, exit *WorkerExitError) {
	expired, timedOut, blameless := w.verdict()
	// A shared queue that ends is no fault of its tasks: its transport
	// failed, or the pool ended it.
	blameless = blameless || w.slot.queue
	held := w.takeInflight()
	if !blameless && !w.retired.Load() && !b.closing() {
		b.crashes.died(w, exit, held)
	}
	broken := b.crashes.broken()
	for _, it := range held {
		switch {
		case it.run.ctx.Err() != nil:
			it.complete(Result{Worker: w.slot.id, PID: w.pid, Err: &TaskError{
				Kind: wire.KindCancelled, Func: it.call.Func(), Worker: w.slot.id, PID: w.pid,
				Message: fmt.Sprintf("stopped while running: %v", it.run.ctx.Err())}})
		case b.closing():
			it.cancelled(ErrClosed)
		case timedOut && it.id == expired:
			it.complete(Result{Worker: w.slot.id, PID: w.pid, Err: &TaskError{
				Kind: wire.KindTimeout, Func: it.call.Func(), Worker: w.slot.id, PID: w.pid, Cause: exit,
				Message: fmt.Sprintf("ran longer than the task timeout of %v, so its worker (pid %d) was killed and replaced; "+
					"raise the timeout if the task needs longer", b.p.opts.TaskTimeout, w.pid)}})
		case broken != nil:
			b.noWorker(it, broken)
		default:
			b.retryOrFail(w, it, exit, blameless, len(held) == 1)
		}
	}
}

// times says n times in words: "once", "twice", "3 times".
func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}

// retryOrFail sends it again, or fails it once workers died holding it
// more than Retries times, the last time with nothing else in flight.
//
// Which of the tasks a worker held killed it cannot be known, so each
// counts a fault, and each is sent again to a worker holding nothing else:
// the task that kills workers is then told apart from those that were
// queued beside it, which succeed. A worker the pool killed for another
// task's sake (a timeout) is no fault of the tasks it held.
func (b *processes) retryOrFail(w *proc, it *item, exit *WorkerExitError, blameless, alone bool) {
	if !blameless {
		it.faults++
		it.alone = true
		if int(it.faults) > b.p.opts.Retries && alone {
			it.complete(Result{Worker: w.slot.id, PID: w.pid, Err: &TaskError{
				Kind: wire.KindWorkerDied, Func: it.call.Func(), Worker: w.slot.id, PID: w.pid, Cause: exit,
				Message: fmt.Sprintf("%v; the task was sent %s (retries: %d)", exit, times(int(it.attempts)), b.p.opts.Retries)}})
			return
		}
	}
	b.p.retry <- it // never blocks: retry holds every task that can be in flight
}
