package cond

import (
	"context"
	"slices"
)

// LocalCond is the in-process Cond, for goroutines. Create it with NewCond;
// the zero value is not usable.
type LocalCond struct {
	sem     chan struct{}  // holds one token while the lock is held
	waiters []*localWaiter // FIFO; guarded by the lock
}

type localWaiter struct {
	wake     chan struct{} // closed by Notify
	notified bool          // set by Notify; guarded by the lock
}

var _ Cond = (*LocalCond)(nil)

// NewCond returns an unlocked in-process condition variable with no waiters.
func NewCond() *LocalCond {
	return &LocalCond{sem: make(chan struct{}, 1)}
}

// Lock implements Locker.Lock.
func (c *LocalCond) Lock(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	default:
	}
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Unlock releases the lock. It panics if the lock is not held.
func (c *LocalCond) Unlock() {
	select {
	case <-c.sem:
	default:
		panic("cond: Unlock of unlocked LocalCond")
	}
}

// Wait implements Cond.Wait. If ctx is already done it returns ctx.Err()
// at once, still holding the lock.
func (c *LocalCond) Wait(ctx context.Context) error {
	c.mustHold("Wait")
	if err := ctx.Err(); err != nil {
		return err
	}
	w := &localWaiter{wake: make(chan struct{})}
	c.waiters = append(c.waiters, w)
	c.Unlock()
	var err error
	select {
	case <-w.wake:
	case <-ctx.Done():
		err = ctx.Err()
	}
	c.sem <- struct{}{} // reacquire regardless of ctx, as Python does
	if w.notified {
		// A notification that raced with ctx is honoured rather than lost.
		return nil
	}
	c.waiters = slices.DeleteFunc(c.waiters, func(x *localWaiter) bool { return x == w })
	return err
}

// WaitFor implements Cond.WaitFor.
func (c *LocalCond) WaitFor(ctx context.Context, pred func() bool) (bool, error) {
	return waitFor(ctx, c, pred)
}

// Notify implements Cond.Notify. n <= 0 does nothing.
func (c *LocalCond) Notify(n int) {
	c.mustHold("Notify")
	n = min(max(n, 0), len(c.waiters))
	for _, w := range c.waiters[:n] {
		w.notified = true
		close(w.wake)
	}
	c.waiters = slices.Delete(c.waiters, 0, n)
}

// NotifyAll implements Cond.NotifyAll.
func (c *LocalCond) NotifyAll() {
	c.mustHold("NotifyAll")
	c.Notify(len(c.waiters))
}

// mustHold panics when nobody holds the lock, as Python raises RuntimeError.
func (c *LocalCond) mustHold(op string) {
	if len(c.sem) == 0 {
		panic("cond: " + op + " called without holding the lock")
	}
}
