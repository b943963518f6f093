package cond_test

import (
	"testing"
)

// Producers notify one consumer per item; a lost wake-up leaves items
// unconsumed and consumers asleep until the hang limit.
func TestCondNoLostWakeups(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		c, ctx := im.newCond(t), testCtx(t)
		const producers, consumers, items = 3, 3, 300
		var queued, consumed int
		var closed bool
		var prod, cons group
		for range consumers {
			cons.Go(func() {
				for {
					if err := c.Lock(ctx); err != nil {
						t.Error(err)
						return
					}
					if _, err := c.WaitFor(ctx, func() bool { return queued > 0 || closed }); err != nil {
						c.Unlock()
						t.Errorf("consumer: %v", err)
						return
					}
					if queued == 0 {
						c.Unlock()
						return
					}
					queued--
					consumed++
					c.Unlock()
				}
			})
		}
		for range producers {
			prod.Go(func() {
				for range items {
					locked(t, c, func() bool { queued++; c.Notify(1); return true })
				}
			})
		}
		prod.Wait(t)
		locked(t, c, func() bool { closed = true; c.NotifyAll(); return true })
		cons.Wait(t)
		if consumed != producers*items {
			t.Fatalf("consumed %d items, want %d", consumed, producers*items)
		}
	})
}

// Go's TestCondBroadcast: NotifyAll wakes every waiter, round after round.
func TestCondNotifyAllRounds(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		c, ctx := im.newCond(t), testCtx(t)
		const n, rounds = 5, 50
		var waiting, round int
		var g group
		for range n {
			g.Go(func() {
				for r := range rounds {
					_ = locked(t, c, func() error {
						waiting++
						_, err := c.WaitFor(ctx, func() bool { return round > r })
						if err != nil {
							t.Errorf("round %d: %v", r, err)
						}
						return err
					})
				}
			})
		}
		for r := range rounds {
			eventually(t, "all waiters", func() bool { return locked(t, c, func() bool { return waiting == n*(r+1) }) })
			locked(t, c, func() bool { round++; c.NotifyAll(); return true })
		}
		g.Wait(t)
	})
}
