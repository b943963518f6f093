package task

import "context"

// Releaser is a lock that an executor holds around a task and gives up while
// the task blocks, as CPython releases its GIL around sleep and I/O.
type Releaser interface {
	Release()
	Acquire()
}

type releaserKey struct{}

// WithReleaser returns a context that makes Blocking release r around the
// blocking work of the task that receives it.
func WithReleaser(ctx context.Context, r Releaser) context.Context {
	return context.WithValue(ctx, releaserKey{}, r)
}

// Blocking runs fn, which waits on something other than the CPU (a sleep,
// I/O, another process). If the task runs under a global execution lock
// (thread mode with -gil), the lock is released while fn runs and taken back
// before Blocking returns; otherwise Blocking just calls fn.
func Blocking(ctx context.Context, fn func()) {
	r, _ := ctx.Value(releaserKey{}).(Releaser)
	if r == nil {
		fn()
		return
	}
	r.Release()
	defer r.Acquire()
	fn()
}
