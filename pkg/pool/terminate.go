package pool

import (
	"context"

	"github.com/brinehq/brine/pkg/wire"
)

// Terminate stops the pool now, as Python's Pool.terminate does: the tasks
// still queued are cancelled, worker processes are killed at once (SIGKILL,
// no grace period), and the tasks they held fail as cancelled; in thread
// mode, where a goroutine cannot be killed, the tasks running see their
// context end, and those a worker had taken but not started are cancelled.
// Every Map, Stream, Submit and Run in progress gets its results: its
// cancelled tasks fail with ErrClosed.
//
// Terminate returns, as Close does, once every goroutine and process the
// pool started has ended: in thread mode, once the running tasks have
// returned. It may be called while Close waits out the grace period,
// which then ends at once; it is idempotent, and Close after it returns
// at once.
func (p *Pool) Terminate() error {
	p.terminate()
	return p.Close()
}

// stopped returns why a thread worker must not start a task of rs: rs's
// context ended, or the pool was terminated; or nil.
func (p *Pool) stopped(rs *runState) error {
	if err := rs.ctx.Err(); err != nil {
		return err
	}
	if p.terminated.Err() != nil {
		return ErrClosed
	}
	return nil
}

// runContext returns the context of rs's tasks on a thread worker, which
// ends with rs's or at Terminate, and the function that releases it.
func (p *Pool) runContext(rs *runState) (context.Context, func()) {
	ctx, cancel := context.WithCancel(rs.ctx)
	stop := context.AfterFunc(p.terminated, cancel)
	return ctx, func() {
		stop()
		cancel()
	}
}

// interrupted turns the failure of it on a thread worker once the pool
// was terminated, such as the function returning ctx.Err(), into the
// cancellation it is, as killing a worker process does.
func (p *Pool) interrupted(it *item, r *Result) {
	if r.Err != nil && p.terminated.Err() != nil {
		r.Err = &TaskError{Kind: wire.KindCancelled, Func: it.call.Func(), Message: "stopped while running: " + ErrClosed.Error()}
	}
}

// killAll kills every worker process at once, for Terminate: Close has
// closed quit already, so none is replaced.
func (b *processes) killAll() {
	b.eachProc(func(w *proc) { w.killFor("the pool was terminated", true) })
}
