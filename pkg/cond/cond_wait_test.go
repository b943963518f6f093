package cond_test

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A wait that times out or is cancelled returns holding the lock and leaves
// the queue, so the next Notify(1) reaches a live waiter.
func TestCondWaitEndsWithCtx(t *testing.T) {
	cases := map[string]func(context.Context) (context.Context, context.CancelFunc, error){
		"deadline": func(ctx context.Context) (context.Context, context.CancelFunc, error) {
			ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
			return ctx, cancel, context.DeadlineExceeded
		},
		"cancel": func(ctx context.Context) (context.Context, context.CancelFunc, error) {
			ctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(20*time.Millisecond, cancel)
			return ctx, cancel, context.Canceled
		},
		"already-done": func(ctx context.Context) (context.Context, context.CancelFunc, error) {
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			return ctx, cancel, context.Canceled
		},
	}
	forEachImpl(t, func(t *testing.T, im impl) {
		for name, mk := range cases {
			t.Run(name, func(t *testing.T) {
				c, ctx := im.newCond(t), testCtx(t)
				wctx, cancel, want := mk(ctx)
				defer cancel()
				if err := c.Lock(ctx); err != nil {
					t.Fatal(err)
				}
				if err := c.Wait(wctx); !errors.Is(err, want) {
					t.Fatalf("Wait = %v, want %v", err, want)
				}
				c.Unlock() // panics unless Wait returned holding the lock
				w := startWaiters(t, c, 1, ctx)
				locked(t, c, func() bool { c.Notify(1); return true })
				w.g.Wait(t)
				if w.errs[0] != nil {
					t.Fatalf("waiter after a failed wait = %v", w.errs[0])
				}
			})
		}
	})
}

// A notification that reaches a waiter while its ctx expires is delivered
// (Wait returns nil), never lost; and Wait returns nil only if notified.
func TestCondNotifyRacingTimeoutNotLost(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		c, ctx := im.newCond(t), testCtx(t)
		var delivered, timedOut int
		for i := range 200 {
			var waiting, notified, gotNotified bool
			var err error
			var g group
			g.Go(func() {
				wctx, cancel := context.WithTimeout(ctx, time.Duration(i%5)*100*time.Microsecond)
				defer cancel()
				_ = locked(t, c, func() error {
					waiting = true
					err = c.Wait(wctx)
					waiting, gotNotified = false, notified
					return nil
				})
			})
			time.Sleep(time.Duration(i%7) * 60 * time.Microsecond)
			locked(t, c, func() bool {
				if waiting {
					c.Notify(1)
					notified = true
				}
				return true
			})
			g.Wait(t)
			switch {
			case gotNotified && err != nil:
				t.Fatalf("round %d: notified waiter returned %v: notification lost", i, err)
			case !gotNotified && err == nil:
				t.Fatalf("round %d: Wait returned nil without a notification", i)
			case err == nil:
				delivered++
			default:
				timedOut++
			}
		}
		t.Logf("%d delivered, %d timed out", delivered, timedOut)
	})
}

// The deterministic case of the race above: the waiter's ctx ends while
// the notifier holds the lock, then the notifier notifies. CPython's wait
// returns False here and the notification is spent; Wait returns nil.
func TestCondNotifyAfterCtxEndBeforeReacquire(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		c, ctx := im.newCond(t), testCtx(t)
		var queued bool // true exactly while the waiter is in Wait
		var err error
		var g group
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		g.Go(func() {
			_ = locked(t, c, func() error { queued = true; err = c.Wait(wctx); queued = false; return nil })
		})
		// Seeing queued with the lock held means the waiter is in Wait.
		eventually(t, "waiter", func() bool {
			return locked(t, c, func() bool {
				if queued {
					cancel()
					time.Sleep(settle) // the waiter wakes and blocks reacquiring
					c.Notify(1)
				}
				return queued
			})
		})
		g.Wait(t)
		if err != nil {
			t.Fatalf("Wait notified after its ctx expired = %v, want nil", err)
		}
	})
}

func TestCondWaitFor(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		c, ctx := im.newCond(t), testCtx(t)
		if err := c.Lock(ctx); err != nil {
			t.Fatal(err)
		}
		ok, err := c.WaitFor(ctx, func() bool { return true })
		c.Unlock()
		if !ok || err != nil {
			t.Fatalf("WaitFor(true) = %v, %v", ok, err)
		}
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		if err := c.Lock(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := c.WaitFor(short, func() bool { return false })
		c.Unlock()
		if got || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WaitFor(false) = %v, %v; want false, DeadlineExceeded", got, err)
		}
		var flag bool
		var res bool
		var g group
		g.Go(func() {
			_ = locked(t, c, func() error {
				res, err = c.WaitFor(ctx, func() bool { return flag })
				return nil
			})
		})
		for range 3 { // notifications before the predicate holds are absorbed
			time.Sleep(2 * time.Millisecond)
			locked(t, c, func() bool { c.NotifyAll(); return true })
		}
		locked(t, c, func() bool { flag = true; c.NotifyAll(); return true })
		g.Wait(t)
		if !res || err != nil {
			t.Fatalf("WaitFor = %v, %v; want true, nil", res, err)
		}
	})
}

// A notified waiter runs only after the notifier unlocks.
func TestCondWokenAfterNotifierUnlocks(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		c, ctx := im.newCond(t), testCtx(t)
		var unlocked, sawUnlocked bool
		var ready bool
		var g group
		g.Go(func() {
			_ = locked(t, c, func() error {
				ready = true
				err := c.Wait(ctx)
				sawUnlocked = unlocked
				return err
			})
		})
		eventually(t, "waiter", func() bool { return locked(t, c, func() bool { return ready }) })
		locked(t, c, func() bool {
			c.NotifyAll()
			time.Sleep(settle)
			unlocked = true
			return true
		})
		g.Wait(t)
		if !sawUnlocked {
			t.Fatal("waiter ran before the notifier unlocked")
		}
	})
}
