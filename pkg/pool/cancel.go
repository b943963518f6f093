package pool

import (
	"context"
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
	select {
	case <-done:
		return
	case <-rs.ctx.Done():
	}
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
