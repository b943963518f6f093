package cond

import "context"

// Locker is a mutual-exclusion lock whose Lock gives up when ctx ends.
type Locker interface {
	// Lock blocks until the lock is held or ctx is done; a free lock is
	// taken even if ctx is already done. On failure it returns ctx.Err()
	// without the lock. A cross-process lock whose previous holder died
	// returns ErrOwnerDead while holding the lock.
	Lock(ctx context.Context) error
	// Unlock releases the lock. Unlocking an unlocked lock panics.
	Unlock()
}

// Cond is a condition variable with its own lock, following Python's
// threading.Condition: waiters are woken in arrival order, a notification
// wakes only waiters present when it is sent, and Wait never returns
// spuriously (it returns nil only when notified).
//
// Wait, WaitFor, Notify and NotifyAll must be called with the lock held;
// calling them without it panics.
type Cond interface {
	Locker
	// Wait atomically releases the lock and blocks until notified or ctx
	// is done, then reacquires the lock before returning, whatever the
	// outcome (the reacquisition ignores ctx, as Python's does). It returns
	// nil when notified and ctx.Err() when ctx ended first; in that case
	// the waiter has left the waiter set. A notification that reaches a
	// waiter after its ctx ended but before it reacquired the lock is not
	// lost: Wait returns nil, and the caller sees ctx.Err() on its next
	// blocking call. (CPython's wait returns False in that race, spending
	// the notification on a waiter that reports a timeout.)
	Wait(ctx context.Context) error
	// WaitFor calls Wait until pred, called with the lock held, reports
	// true, as Python's wait_for does. If a Wait fails, WaitFor returns
	// pred's value after it together with the error; either way it returns
	// holding the lock, except after ErrClosed.
	WaitFor(ctx context.Context, pred func() bool) (bool, error)
	// Notify wakes at most n of the current waiters, oldest first. Waiters
	// that arrive later are not woken by it. It does not block; the woken
	// waiters run once the caller unlocks.
	Notify(n int)
	// NotifyAll wakes every current waiter.
	NotifyAll()
}

// Barrier is a reusable barrier for a fixed number of parties, following
// Python's threading.Barrier.
type Barrier interface {
	// Wait blocks until Parties callers have arrived, then releases them
	// all. It returns the caller's arrival index (0 for the first,
	// Parties()-1 for the one that released the others) and the generation
	// the call belonged to; generations count up from 0 with each release
	// or Reset.
	//
	// If the barrier is broken, or breaks while the caller waits, Wait
	// returns ErrBroken (or an error wrapping it) and index -1. A caller
	// whose ctx ends before the release breaks the barrier for everyone,
	// as a Python party that times out does, and gets an error matching
	// both ErrBroken and ctx.Err().
	Wait(ctx context.Context) (index int, generation uint64, err error)
	// Abort breaks the barrier: current and future waiters get ErrBroken
	// until Reset.
	Abort()
	// Reset returns the barrier to its initial state in a new generation.
	// Parties waiting when it is called get ErrBroken.
	Reset()
	// Broken reports whether the barrier is broken.
	Broken() bool
	// Parties returns the number of parties needed to release the barrier.
	Parties() int
	// Waiting returns how many parties wait in the current generation
	// (Python's n_waiting).
	Waiting() int
}

// waitFor implements Cond.WaitFor on top of Wait, as Python's wait_for does.
func waitFor(ctx context.Context, c Cond, pred func() bool) (bool, error) {
	for !pred() {
		if err := c.Wait(ctx); err != nil {
			return pred(), err
		}
	}
	return true, nil
}
