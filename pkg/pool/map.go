package pool

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

// Map calls f once per element of args on p's workers and returns the
// results in the order of args. It blocks until every task it started has
// ended, and leaves nothing running behind it.
//
// Nothing is sent if f cannot be called: its function is unknown to the
// workers (the error lists those they have), its bound argument could not be
// encoded, or, in process mode, an element of args is something msgpack
// cannot encode, such as a func or a channel (the error gives its index).
// In thread mode arguments are passed as they are, not encoded.
//
// Like errgroup, and unlike Python's Pool.map, which lets the other tasks
// run, Map stops at the first task that fails (the first reported, not the
// lowest index): it cancels the tasks not yet started, lets the running ones
// finish as Run does when its context ends (worker processes still running
// them after Options.Grace are killed), and returns nil and an error that
// names the failed task's index and wraps its *TaskError, for errors.As.
// When ctx ends it does the same and returns ctx.Err(); when p is closed
// under it, ErrClosed. A failure of a task once ctx has ended, such as a
// function returning ctx.Err() in thread mode, counts as the cancellation.
// MapAll runs every task instead and returns every error.
func Map[A, R any](ctx context.Context, p *Pool, f *task.Func[A, R], args []A) ([]R, error) {
	build, err := mapCalls(p, f, args)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make([]R, len(args))
	var ff firstFailure
	runErr := p.run(runCtx, len(args), build, func(r Result) { // it decodes Raw: a copy
		v, err := value(f, &r)
		if err != nil {
			// A task failing after ctx ended may fail because of it:
			// count it as the cancellation, reported as ctx.Err().
			if ff.add(r.Index, err, ctx.Err() != nil) {
				cancel()
			}
			return
		}
		out[r.Index] = v // each index is written once; Run's return orders it before ours
	}, true)
	switch {
	case ff.err != nil:
		return nil, fmt.Errorf("pool: args[%d]: %w", ff.index, ff.err)
	case ff.cancelled:
		return nil, p.stopCause(ctx)
	case runErr != nil && runCtx.Err() == nil:
		return nil, runErr
	}
	return out, nil
}

// Submit starts f(a) on one of p's workers and returns its Future at once
// if a worker is free, or once the pool has room for it: Submit blocks while
// the pool's queue is full, or until ctx ends (TrySubmit never blocks). ctx is the task's context: a
// task still queued when it ends is not run, and in thread mode the function
// receives it.
//
// A call that cannot be made (see Map) is not sent; the Future is returned
// done, with the error. A failed task's error is its *TaskError; a task not
// run because ctx ended or p closed fails with ctx.Err() or ErrClosed,
// wrapped.
func Submit[A, R any](ctx context.Context, p *Pool, f *task.Func[A, R], a A) *Future[R] {
	fu := newFuture[R]()
	it, err := submission(ctx, p, f, a, fu.settle)
	if err != nil {
		var zero R
		fu.settle(zero, err)
		return fu
	}
	if err := p.enqueue(ctx, it); err != nil {
		it.cancelled(err)
	}
	return fu
}

// submission returns the item of a Submit of f(a), which passes its result
// to done, or the error of a call that cannot be made.
func submission[A, R any](ctx context.Context, p *Pool, f *task.Func[A, R], a A, done func(R, error)) (*item, error) {
	c, err := prepare(p, f, a)
	if err != nil {
		return nil, err
	}
	rs := newRunState(ctx, func(r Result) {
		v, err := value(f, &r)
		if isCancelled(err) {
			err = fmt.Errorf("pool: %s not run: %w", f.Name(), p.stopCause(ctx))
		}
		done(v, err)
	}, 1)
	rs.borrow = true // it decodes Raw: a copy
	return p.newItem(0, c, rs), nil
}

// Future is the pending result of a task started by Submit. Its methods are
// safe for concurrent use, and Wait may be called any number of times.
type Future[R any] struct {
	done  chan struct{}
	value R
	err   error
}

func newFuture[R any]() *Future[R] { return &Future[R]{done: make(chan struct{})} }

// settle gives the Future its result; it is called once.
func (fu *Future[R]) settle(v R, err error) {
	fu.value, fu.err = v, err
	close(fu.done)
}

// Done returns a channel that is closed once the task has ended, for use in
// a select; Wait then returns at once.
func (fu *Future[R]) Done() <-chan struct{} { return fu.done }

// Wait blocks until the task has ended and returns its result, or until ctx
// ends and returns the zero R and ctx.Err(), leaving the task to run on.
func (fu *Future[R]) Wait(ctx context.Context) (R, error) {
	select {
	case <-fu.done:
		return fu.value, fu.err
	default:
	}
	select {
	case <-fu.done:
		return fu.value, fu.err
	case <-ctx.Done():
		var zero R
		return zero, ctx.Err()
	}
}

// mapCalls returns the builder of the calls of f on args for Run. Where
// arguments cross a process boundary it encodes them all first, so that an
// argument msgpack cannot encode fails before anything is sent; the sender
// then copies the bytes instead of encoding.
func mapCalls[A, R any](p *Pool, f *task.Func[A, R], args []A) (func(int) task.Call, error) {
	var zero A
	if err := p.check(f.Call(zero)); err != nil {
		return nil, err
	}
	if !p.encodes() {
		return func(i int) task.Call { return f.Call(args[i]) }, nil
	}
	var bad error
	calls := sealAll(p, f, args, func(i int, err error) bool {
		bad = fmt.Errorf("pool: args[%d]: %w", i, err)
		return false
	})
	if bad != nil {
		return nil, bad
	}
	return func(i int) task.Call { return &calls[i] }, nil
}

// sealAll encodes the calls of f on args into one buffer. It passes the
// index of an argument that cannot be encoded to failed, and stops unless
// failed returns true; that call is left zero (its Call nil).
func sealAll[A, R any](p *Pool, f *task.Func[A, R], args []A, failed func(i int, err error) (goOn bool)) []sealed {
	start := time.Now()
	defer func() { p.stats.encoded(0, time.Since(start)) }() // the frames count the bytes
	calls := make([]sealed, len(args))
	ends := make([]int, len(args))
	var buf []byte
	for i := range args {
		c := f.Call(args[i])
		next, err := c.AppendArgs(buf)
		if err != nil {
			if !failed(i, err) {
				return nil
			}
			ends[i] = len(buf)
			continue
		}
		buf = next
		calls[i].Call, ends[i] = c, len(buf)
	}
	from := 0
	for i, end := range ends {
		calls[i].args = buf[from:end:end]
		from = end
	}
	return calls
}

// prepare returns the call of f on a, checked and sealed.
func prepare[A, R any](p *Pool, f *task.Func[A, R], a A) (task.Call, error) {
	c := f.Call(a)
	if err := p.check(c); err != nil {
		return nil, err
	}
	return seal(p, c)
}

// seal encodes the arguments of c now if they will cross a process boundary.
func seal(p *Pool, c task.Call) (task.Call, error) {
	if !p.encodes() {
		return c, nil
	}
	start := time.Now()
	args, err := c.AppendArgs(nil)
	p.stats.encoded(0, time.Since(start)) // the frame counts the bytes
	if err != nil {
		return nil, err
	}
	return &sealed{Call: c, args: args}, nil
}

// encodes reports whether the pool's tasks are encoded on their way.
func (p *Pool) encodes() bool { return p.opts.Mode == Process || p.opts.Wire }

// sealed is a call whose arguments were encoded when it was prepared; its
// sender copies them into the frame. Their encoding time is counted in
// Stats.Encode when it happens.
type sealed struct {
	task.Call
	args []byte
}

func (c *sealed) AppendArgs(b []byte) ([]byte, error) { return append(b, c.args...), nil }

// value returns the typed result of f that r holds, or r's error.
func value[A, R any](f *task.Func[A, R], r *Result) (R, error) {
	var zero R
	switch {
	case r.Err != nil:
		return zero, r.Err
	case r.Raw != nil:
		return f.Decode(r.Raw)
	case r.Value == nil: // a nil interface or pointer R
		return zero, nil
	}
	v, ok := r.Value.(R)
	if !ok {
		return zero, fmt.Errorf("pool: %s returned a %T where its handle expects a %T", f.Name(), r.Value, zero)
	}
	return v, nil
}

// isCancelled reports whether err is a task that did not run because its
// run's context ended or the pool closed.
func isCancelled(err error) bool {
	var te *TaskError
	return errors.As(err, &te) && te.Kind == wire.KindCancelled
}

// stopCause returns why the tasks of a run under ctx were cancelled.
func (p *Pool) stopCause(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return ErrClosed
}

// firstFailure keeps the first failure of a run that is not a cancellation.
type firstFailure struct {
	mu        sync.Mutex
	index     int
	err       error
	cancelled bool // some task was cancelled
}

// add records a failure and reports whether it is the first. A failure
// while the run is stopping counts as a cancellation.
func (ff *firstFailure) add(index int, err error, stopping bool) bool {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if stopping || isCancelled(err) {
		ff.cancelled = true
		return false
	}
	if ff.err != nil {
		return false
	}
	ff.index, ff.err = index, err
	return true
}
