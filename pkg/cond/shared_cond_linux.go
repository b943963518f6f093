package cond

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"unsafe"
)

// SharedCond is a Cond in a Region, usable from several processes and from
// several goroutines in each. Get one from Region.Cond.
//
// Waiters queue in a fixed table of MaxWaiters entries in arrival order and
// sleep on one futex word, each with its own wake bit, so Notify(n) wakes
// exactly the n oldest and NotifyAll wakes all in one system call.
// Cancellation wakes the waiter at once (no polling). The lock is robust:
// see Region.ProcessDied.
type SharedCond struct {
	r   *Region
	o   *object
	key unsafe.Pointer // race-detector key, shared by handles of one object
}

var _ Cond = (*SharedCond)(nil)

// Lock implements Locker.Lock. It returns ErrOwnerDead, holding the lock,
// when the previous holder's process died holding it, and ErrClosed when
// the region is closed.
func (c *SharedCond) Lock(ctx context.Context) error {
	if !c.r.enter() {
		return ErrClosed
	}
	defer c.r.exit()
	err := c.r.lockWord(ctx, &c.o.lock)
	if err == nil || err == ErrOwnerDead {
		raceAcquire(c.key)
	}
	return err
}

// Unlock implements Locker.Unlock. It panics if this process does not hold
// the lock, and does nothing once the region is closed.
func (c *SharedCond) Unlock() {
	if !c.r.enter() {
		return
	}
	defer c.r.exit()
	raceReleaseMerge(c.key)
	c.r.unlockWord(&c.o.lock)
}

// Wait implements Cond.Wait. If ctx is already done it returns ctx.Err() at
// once, holding the lock. It also returns, holding the lock,
// ErrTooManyWaiters when the queue is full and ErrOwnerDead when another
// process died holding the lock while this one waited. It returns ErrClosed,
// without the lock, when the region is closed.
func (c *SharedCond) Wait(ctx context.Context) error {
	if !c.r.enter() {
		return ErrClosed
	}
	defer c.r.exit()
	c.mustHold("Wait")
	if err := ctx.Err(); err != nil {
		return err
	}
	i, err := c.enqueue()
	if err != nil {
		return err
	}
	w := &c.o.cond.waiters[i]
	raceReleaseMerge(c.key)
	c.r.unlockWord(&c.o.lock)
	werr := c.r.waitUntil(ctx, &c.o.seq, 1<<(i%32), func() bool { return w.state.Load() == waiterNotified })
	var lerr error
	if werr != ErrClosed {
		lerr = c.r.lockWord(context.Background(), &c.o.lock) // regardless of ctx, as Python does
	}
	if werr == ErrClosed || lerr == ErrClosed {
		w.state.Store(waiterFree) // leave the queue; a notification in flight is lost
		return ErrClosed
	}
	raceAcquire(c.key)
	notified := w.state.Swap(waiterFree) == waiterNotified
	switch {
	case lerr != nil:
		return lerr
	case notified:
		// A notification that raced with ctx is honoured rather than lost.
		return nil
	default:
		return werr
	}
}

// enqueue claims a waiter entry; the caller holds the lock.
func (c *SharedCond) enqueue() (int, error) {
	cb := &c.o.cond
	for i := range cb.waiters {
		w := &cb.waiters[i]
		if w.state.Load() != waiterFree {
			continue
		}
		w.slot.Store(uint32(c.r.slot))
		w.ticket.Store(cb.nextTicket.Add(1))
		w.state.Store(waiterWaiting)
		return i, nil
	}
	return -1, fmt.Errorf("%w: %d already wait on %q", ErrTooManyWaiters, MaxWaiters, c.o.nameString())
}

// WaitFor implements Cond.WaitFor.
func (c *SharedCond) WaitFor(ctx context.Context, pred func() bool) (bool, error) {
	return waitFor(ctx, c, pred)
}

// Notify implements Cond.Notify. n <= 0 does nothing.
func (c *SharedCond) Notify(n int) {
	if !c.r.enter() {
		return
	}
	defer c.r.exit()
	c.mustHold("Notify")
	c.notify(n)
}

// NotifyAll implements Cond.NotifyAll.
func (c *SharedCond) NotifyAll() {
	if !c.r.enter() {
		return
	}
	defer c.r.exit()
	c.mustHold("NotifyAll")
	c.notify(MaxWaiters)
}

// notify marks the n oldest waiting entries notified and wakes their bits.
func (c *SharedCond) notify(n int) {
	type queued struct {
		i      int
		ticket uint64
	}
	var buf [MaxWaiters]queued
	q := buf[:0]
	ws := &c.o.cond.waiters
	for i := range ws {
		if ws[i].state.Load() == waiterWaiting {
			q = append(q, queued{i, ws[i].ticket.Load()})
		}
	}
	if n < len(q) {
		slices.SortFunc(q, func(a, b queued) int { return cmp.Compare(a.ticket, b.ticket) })
		q = q[:max(n, 0)]
	}
	var bits uint32
	for _, e := range q {
		if ws[e.i].state.CompareAndSwap(waiterWaiting, waiterNotified) {
			bits |= 1 << (e.i % 32)
		}
	}
	if bits != 0 {
		c.o.seq.Add(1)
		futexWake(&c.o.seq, wakeAll, bits)
	}
}

// mustHold panics unless this process holds the lock, as Python raises
// RuntimeError. Another goroutine of this process holding it passes.
func (c *SharedCond) mustHold(op string) {
	if c.o.lock.Load()&lockPIDMask != c.r.pid {
		panic("cond: " + op + " called without holding the lock")
	}
}
