package pool

import (
	"context"
	"runtime"
	"time"
)

// killKey is the context key of the channel KillOn attaches.
type killKey struct{}

// KillOn returns a copy of ctx under which a Run whose ctx has ended stops
// waiting for its running tasks as soon as kill is closed, instead of at the
// end of Options.Grace: the worker processes running them are killed at
// once and the tasks reported cancelled. A command line uses it for a
// second Ctrl-C.
func KillOn(ctx context.Context, kill <-chan struct{}) context.Context {
	return context.WithValue(ctx, killKey{}, kill)
}

func killChan(ctx context.Context) <-chan struct{} {
	kill, _ := ctx.Value(killKey{}).(<-chan struct{})
	return kill // a nil channel is never ready
}

// await blocks until every item of rs has its result. Once rs.ctx ends, the
// items already running get the grace period to finish; then the workers
// still running them are killed, which salvages them as cancelled.
func (p *Pool) await(rs *runState) {
	done := rs.done
	if p.awaitNear(rs) {
		return
	}
	select {
	case <-done:
		return
	case <-rs.ctx.Done():
	}
	p.afterCancel(rs)
}

// afterCancel blocks, once rs.ctx has ended, until every item of rs has
// its result: the workers are asked to skip the items they hold and stop
// the ones they run (cancelRun); the items still running get the grace
// period to finish; then the workers still running them are killed, which
// salvages them as cancelled.
func (p *Pool) afterCancel(rs *runState) {
	done := rs.done
	p.b.cancelRun(rs)
	grace := time.NewTimer(p.opts.Grace)
	defer grace.Stop()
	select {
	case <-done:
		return
	case <-grace.C:
	case <-killChan(rs.ctx):
	}
	// A task taken by a sender just before ctx ended may reach a worker
	// after an abort has looked: look again until every item is done.
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		p.b.abort(rs)
		select {
		case <-done:
			return
		case <-tick.C:
		}
	}
}

// awaitNear polls for the end of rs for up to Options.Spin, yielding the
// processor between looks, when its results are expected within about a
// round trip (see nearEnd). It reports whether rs ended.
//
// A waiter that parks is made runnable by the receiver of the last result,
// and with a processor idle the runtime wakes a second thread to run it:
// two more thread wake-ups per call, a large share of a one-call round
// trip (bench/RESULTS.md, "Design measurements": Polling for a run's end).
// The price is the thread that polls, for Options.Spin at most.
func (p *Pool) awaitNear(rs *runState) bool {
	if !p.nearEnd(rs) {
		return rs.left.Load() == 0
	}
	start, spin := time.Now(), p.opts.Spin
	for i := 1; rs.left.Load() != 0; i++ {
		if i%8 == 0 && time.Since(start) > spin {
			return false
		}
		runtime.Gosched()
	}
	return true
}

// nearEnd reports whether rs is worth polling for: a process pool's run
// with no more results left than there are workers, of tasks that take a
// fraction of Options.Spin (see shortTasks), and a processor for every
// worker's receiver to block on and one more for the poller
// (transport.Worker.Blocks). Results that come through the runtime's network poller
// instead would wait for the poller to stop: a thread that yields runs the
// goroutines queued before it looks at the network again, so polling then
// makes round trips slower (bench/RESULTS.md, "Design measurements":
// Polling beside the poller).
func (p *Pool) nearEnd(rs *runState) bool {
	left := rs.left.Load()
	return left > 0 && left <= int64(p.opts.Workers) && p.opts.Mode == Process &&
		p.shortTasks() && p.opts.Workers < runtime.GOMAXPROCS(0)
}

// shortTasks reports whether p's pollers poll (Options.Spin) and p's tasks
// lately took a fraction of the time they poll for: a round trip besides,
// their results come before the polling ends.
func (p *Pool) shortTasks() bool {
	return p.opts.Spin > 0 && p.taskNanos.Load() <= int64(p.opts.Spin/4)
}
