package cond

import (
	"context"
	"time"
)

type spinKey struct{}

// WithSpin returns a context under which a cross-process Barrier.Wait first
// spins for up to d, looking for its release between yields of the CPU to
// other processes, before it sleeps on the futex. A waiter that is running
// when the release comes sees it at once, where waking a sleeping one takes
// the kernel's wake-up time, which on virtual machines can be a hundred
// microseconds or more; the price is the CPU the waiter burns meanwhile,
// yielded to any other runnable process. Spin for about as long as parties
// are expected to wait for each other, as barriers in parallel programs
// commonly do. In-process barriers ignore it: waking a goroutine is cheap.
func WithSpin(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, spinKey{}, d)
}

// spinOf returns the spin duration ctx carries, or 0.
func spinOf(ctx context.Context) time.Duration {
	d, _ := ctx.Value(spinKey{}).(time.Duration)
	return d
}

// spinUntil yields the CPU until done reports true, d has passed, or ctx
// ends, and reports whether done did.
func spinUntil(ctx context.Context, d time.Duration, done func() bool) bool {
	end := Now() + int64(d)
	for !done() {
		if Now() >= end || ctx.Err() != nil {
			return false
		}
		yield()
	}
	return true
}
