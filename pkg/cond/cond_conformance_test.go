package cond_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/cond"
)

// Scenarios from CPython's Lib/test/lock_tests.py ConditionTests and Go's
// sync/cond_test.go, run against every implementation.

func TestCondLock(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		c, ctx := im.newCond(t), testCtx(t)
		if err := c.Lock(ctx); err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
		defer cancel()
		if err := c.Lock(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Lock of a held lock with a deadline = %v, want DeadlineExceeded", err)
		}
		cancelled, cancel2 := context.WithCancel(ctx)
		var g group
		var err error
		g.Go(func() { err = c.Lock(cancelled) })
		time.Sleep(5 * time.Millisecond)
		cancel2()
		g.Wait(t)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Lock cancelled while waiting = %v, want Canceled", err)
		}
		c.Unlock()
		if err := c.Lock(ctx); err != nil {
			t.Fatalf("Lock after failed attempts = %v", err)
		}
		c.Unlock()
	})
}

func TestCondMisusePanics(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		c := im.newCond(t)
		for name, f := range map[string]func(){
			"Unlock":    c.Unlock,
			"Notify":    func() { c.Notify(1) },
			"NotifyAll": c.NotifyAll,
			"Wait":      func() { _ = c.Wait(context.Background()) },
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s without the lock did not panic", name)
					}
				}()
				f()
			}()
		}
	})
}

// waiters starts n goroutines that each wait once on c and count
// themselves in ready (before waiting) and woken (after), both guarded by c.
type waiters struct {
	c            cond.Cond
	ready, woken int
	errs         []error
	g            group
}

func startWaiters(t *testing.T, c cond.Cond, n int, ctx context.Context) *waiters {
	w := &waiters{c: c}
	for range n {
		w.g.Go(func() {
			if err := c.Lock(ctx); err != nil {
				t.Error(err)
				return
			}
			defer c.Unlock()
			w.ready++
			err := c.Wait(ctx)
			w.woken++
			w.errs = append(w.errs, err)
		})
	}
	eventually(t, "waiters to wait", func() bool { return locked(t, c, func() bool { return w.ready == n }) })
	return w
}

// expectWoken waits for want wake-ups, then checks no more come.
func (w *waiters) expectWoken(t *testing.T, want int) {
	t.Helper()
	eventually(t, "wake-ups", func() bool { return locked(t, w.c, func() bool { return w.woken >= want }) })
	time.Sleep(settle)
	if got := locked(t, w.c, func() int { return w.woken }); got != want {
		t.Fatalf("%d waiters woke, want %d", got, want)
	}
}

func TestCondNotifyCounts(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		c := im.newCond(t)
		w := startWaiters(t, c, 6, testCtx(t))
		for _, step := range []struct{ n, total int }{{1, 1}, {3, 4}, {0, 4}, {-1, 4}, {-2, 6}} {
			locked(t, c, func() bool {
				if step.n == -2 {
					c.NotifyAll()
				} else {
					c.Notify(step.n)
				}
				return true
			})
			w.expectWoken(t, step.total)
		}
		w.g.Wait(t)
		for _, err := range w.errs {
			if err != nil {
				t.Errorf("notified Wait = %v", err)
			}
		}
	})
}

func TestCondNotifyWithoutWaitersIsNoOp(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		c := im.newCond(t)
		locked(t, c, func() bool { c.Notify(3); c.NotifyAll(); return true })
		ctx, cancel := context.WithTimeout(testCtx(t), 20*time.Millisecond)
		defer cancel()
		if err := locked(t, c, func() error { return c.Wait(ctx) }); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait after notifies without waiters = %v, want DeadlineExceeded", err)
		}
	})
}

// Go's TestCondSignalStealing: a waiter that arrives after a notify must not
// take the wake-up meant for the waiter that was there.
func TestCondLateWaiterNotWoken(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		c, ctx := im.newCond(t), testCtx(t)
		w := startWaiters(t, c, 1, ctx)
		var late error
		var g group
		locked(t, c, func() bool {
			c.Notify(1)
			g.Go(func() {
				short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
				defer cancel()
				late = locked(t, c, func() error { return c.Wait(short) })
			})
			return true
		})
		w.g.Wait(t)
		g.Wait(t)
		if w.errs[0] != nil || !errors.Is(late, context.DeadlineExceeded) {
			t.Fatalf("first waiter = %v, late waiter = %v; want nil, DeadlineExceeded", w.errs[0], late)
		}
	})
}

// Go's TestCondSignalGenerations: waiters wake in arrival order.
func TestCondNotifyIsFIFO(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		c, ctx := im.newCond(t), testCtx(t)
		const n = 8
		var ready int
		var order []int
		var g group
		for i := range n {
			g.Go(func() {
				_ = locked(t, c, func() error {
					ready++
					err := c.Wait(ctx)
					order = append(order, i)
					return err
				})
			})
			eventually(t, "waiter to queue", func() bool { return locked(t, c, func() bool { return ready == i+1 }) })
		}
		for i := range n {
			locked(t, c, func() bool { c.Notify(1); return true })
			eventually(t, "a wake-up", func() bool { return locked(t, c, func() bool { return len(order) == i+1 }) })
			if got := locked(t, c, func() int { return order[i] }); got != i {
				t.Fatalf("wake-up %d went to waiter %d", i, got)
			}
		}
		g.Wait(t)
	})
}
