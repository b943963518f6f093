package pool

import (
	"context"

	"github.com/brinehq/brine/pkg/task"
)

// TrySubmit is Submit that never waits for room: it starts f(a) and
// returns its Future and true, or, when the pool's queue is full, returns
// nil and false at once, having started nothing. A call that cannot be
// made, or a closed pool, gives a Future that is done already, with the
// error, and true, as Submit does.
//
// The queue is full when it holds Options.Workers × 256 tasks besides those
// the workers hold (see the package doc): a producer that must not block,
// such as an event loop, backs off or drops work when TrySubmit says no.
func TrySubmit[A, R any](ctx context.Context, p *Pool, f *task.Func[A, R], a A) (*Future[R], bool) {
	fu := newFuture[R]()
	it, err := submission(ctx, p, f, a, fu.settle)
	if err != nil {
		var zero R
		fu.settle(zero, err)
		return fu, true
	}
	switch ok, err := p.tryEnqueue(it); {
	case err != nil:
		it.cancelled(err)
	case !ok:
		return nil, false
	}
	return fu, true
}

// SubmitFunc starts f(a) on one of p's workers, as Submit does, and calls
// done with its result once it has one, like the callback and
// error_callback of Python's Pool.apply_async. It blocks while the pool's
// queue is full, as Submit does.
//
// It returns an error, and never calls done, when the call was not
// started: it cannot be made (see Map), ctx ended while it waited for room
// (ctx.Err()), or p is closed (ErrClosed). Otherwise done is called exactly
// once, perhaps before SubmitFunc returns, with the value or the error a
// Future would hold: a *TaskError, or, for a task not run because ctx
// ended or p closed, ctx.Err() or ErrClosed, wrapped.
//
// done runs on the pool's goroutine that received the result, as Run's
// callback does: it must be quick and must not wait for the pool, such as
// by calling Submit or SubmitFunc on it with the queue full (TrySubmit is
// fine), or results stop arriving.
func SubmitFunc[A, R any](ctx context.Context, p *Pool, f *task.Func[A, R], a A, done func(R, error)) error {
	it, err := submission(ctx, p, f, a, done)
	if err != nil {
		return err
	}
	return p.enqueue(ctx, it)
}

// tryEnqueue is enqueue that never waits for room: it reports false, and
// leaves it alone, when the queue is full.
func (p *Pool) tryEnqueue(it *item) (bool, error) {
	if p.closed.Load() {
		return false, ErrClosed
	}
	if !p.queue.tryPush(it) {
		return false, nil
	}
	if p.closed.Load() {
		p.drain() // as admit does: see enqueue
	}
	return true, nil
}
