package cond_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/cond"
)

// hangLimit bounds every wait that must not hang; it says nothing of speed.
const hangLimit = 10 * time.Second

// settle is how long a negative check ("nobody else woke") waits.
const settle = 30 * time.Millisecond

// impl is one implementation of the API under the conformance suite.
type impl struct {
	name       string
	newCond    func(t testing.TB) cond.Cond
	newBarrier func(t testing.TB, parties int) cond.Barrier
}

var impls = []impl{{
	name:       "local",
	newCond:    func(testing.TB) cond.Cond { return cond.NewCond() },
	newBarrier: func(_ testing.TB, parties int) cond.Barrier { return cond.NewBarrier(parties) },
}}

// forEachImpl runs f as a subtest for every implementation.
func forEachImpl(t *testing.T, f func(t *testing.T, im impl)) {
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) { f(t, im) })
	}
}

// testCtx is the context for waits that must not hang.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), hangLimit)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls f until it reports true, failing after hangLimit.
func eventually(t testing.TB, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(hangLimit); !f(); {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after %v", what, hangLimit)
		}
		time.Sleep(time.Millisecond)
	}
}

// locked runs f with c's lock held.
func locked[T any](t testing.TB, c cond.Cond, f func() T) T {
	t.Helper()
	if err := c.Lock(testCtx(t)); err != nil {
		t.Fatalf("Lock: %v", err)
	}
	defer c.Unlock()
	return f()
}

// group runs goroutines and joins them; Wait fails the test if they hang.
type group struct{ wg sync.WaitGroup }

func (g *group) Go(f func()) { g.wg.Go(f) }

func (g *group) Wait(t testing.TB) {
	t.Helper()
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(hangLimit):
		t.Fatalf("goroutines still running after %v", hangLimit)
	}
}
