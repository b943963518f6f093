package cond_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/cond"
)

// Scenarios from CPython's Lib/test/lock_tests.py BarrierTests, run against
// every implementation.

type arrival struct {
	idx int
	gen uint64
}

// Generations of a reused barrier: in each, the arrival indexes are a
// permutation of 0..parties-1 and everyone sees the same generation.
// Each round, twice as many goroutines as parties fill two generations.
func TestBarrierGenerations(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		const parties, rounds = 3, 30
		b, ctx := im.newBarrier(t, parties), testCtx(t)
		var mu sync.Mutex
		byGen := map[uint64][]int{}
		for range rounds {
			var g group
			for range 2 * parties {
				g.Go(func() {
					idx, gen, err := b.Wait(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					byGen[gen] = append(byGen[gen], idx)
					mu.Unlock()
				})
			}
			g.Wait(t)
		}
		if len(byGen) != 2*rounds {
			t.Fatalf("%d generations, want %d", len(byGen), 2*rounds)
		}
		for gen := range uint64(2 * rounds) {
			idx := slices.Sorted(slices.Values(byGen[gen]))
			if !slices.Equal(idx, []int{0, 1, 2}) {
				t.Fatalf("generation %d: indexes %v, want a permutation of 0..2", gen, byGen[gen])
			}
		}
	})
}

func TestBarrierSingleParty(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		b, ctx := im.newBarrier(t, 1), testCtx(t)
		for want := range uint64(3) {
			if idx, gen, err := b.Wait(ctx); idx != 0 || gen != want || err != nil {
				t.Fatalf("Wait = %d, %d, %v; want 0, %d, nil", idx, gen, err, want)
			}
		}
		if b.Parties() != 1 || b.Waiting() != 0 || b.Broken() {
			t.Fatalf("Parties %d Waiting %d Broken %v", b.Parties(), b.Waiting(), b.Broken())
		}
	})
}

// waitAll starts n waiters and returns once they all wait; errs holds their
// results after g.Wait.
func waitAll(t *testing.T, b cond.Barrier, n int, ctx context.Context) (*group, []error) {
	errs := make([]error, n)
	g := &group{}
	for i := range n {
		g.Go(func() { _, _, errs[i] = b.Wait(ctx) })
	}
	eventually(t, "parties to wait", func() bool { return b.Waiting() == n })
	return g, errs
}

// roundSucceeds checks that a full round passes.
func roundSucceeds(t *testing.T, b cond.Barrier, ctx context.Context) {
	t.Helper()
	g, errs := waitAll(t, b, b.Parties()-1, ctx)
	if _, _, err := b.Wait(ctx); err != nil {
		t.Fatalf("last party: %v", err)
	}
	g.Wait(t)
	for _, err := range errs {
		if err != nil {
			t.Fatalf("party: %v", err)
		}
	}
}

func TestBarrierAbort(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		b, ctx := im.newBarrier(t, 3), testCtx(t)
		g, errs := waitAll(t, b, 2, ctx)
		b.Abort()
		g.Wait(t)
		for _, err := range errs {
			if err != cond.ErrBroken {
				t.Fatalf("waiter of an aborted barrier = %v, want ErrBroken", err)
			}
		}
		if _, _, err := b.Wait(ctx); err != cond.ErrBroken || !b.Broken() {
			t.Fatalf("Wait on an aborted barrier = %v, Broken %v", err, b.Broken())
		}
		b.Reset()
		if b.Broken() {
			t.Fatal("Broken after Reset")
		}
		roundSucceeds(t, b, ctx)
	})
}

// Python's test_reset: Reset breaks the current waiters out, and the
// barrier then works again.
func TestBarrierResetWhileWaiting(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		b, ctx := im.newBarrier(t, 3), testCtx(t)
		roundSucceeds(t, b, ctx)
		g, errs := waitAll(t, b, 2, ctx)
		b.Reset()
		g.Wait(t)
		for _, err := range errs {
			if err != cond.ErrBroken {
				t.Fatalf("waiter during Reset = %v, want ErrBroken", err)
			}
		}
		roundSucceeds(t, b, ctx)
	})
}

// A party whose ctx ends breaks the barrier, as a Python timeout does.
func TestBarrierPartyCtxBreaks(t *testing.T) {
	for _, want := range []error{context.DeadlineExceeded, context.Canceled} {
		t.Run(want.Error(), func(t *testing.T) { testBarrierPartyCtxBreaks(t, want) })
	}
}

func testBarrierPartyCtxBreaks(t *testing.T, want error) {
	forEachImpl(t, func(t *testing.T, im impl) {
		b, ctx := im.newBarrier(t, 3), testCtx(t)
		g, errs := waitAll(t, b, 1, ctx)
		pctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		if want == context.Canceled {
			pctx, cancel = context.WithCancel(ctx)
			time.AfterFunc(10*time.Millisecond, cancel)
		}
		_, _, err := b.Wait(pctx)
		cancel()
		if !errors.Is(err, cond.ErrBroken) || !errors.Is(err, want) {
			t.Fatalf("party whose ctx ended = %v, want ErrBroken and %v", err, want)
		}
		g.Wait(t)
		if errs[0] != cond.ErrBroken || !b.Broken() {
			t.Fatalf("other party = %v, Broken %v; want ErrBroken, true", errs[0], b.Broken())
		}
	})
}

// Python's test_abort_and_reset.
func TestBarrierAbortAndReset(t *testing.T) {
	forEachImpl(t, func(t *testing.T, im impl) {
		const n = 4
		b, b2, ctx := im.newBarrier(t, n), im.newBarrier(t, n), testCtx(t)
		var mu sync.Mutex
		var passed, broken, after int
		count := func(p *int) { mu.Lock(); *p++; mu.Unlock() }
		var g group
		for range n {
			g.Go(func() {
				if i, _, err := b.Wait(ctx); err != nil {
					t.Error(err)
				} else if i == n/2 {
					b.Abort()
				} else if _, _, err := b.Wait(ctx); err == nil {
					count(&passed)
				} else if errors.Is(err, cond.ErrBroken) {
					count(&broken)
				}
				// Everyone leaves b before the reset, and nobody enters it before.
				if i, _, _ := b2.Wait(ctx); i == n/2 {
					b.Reset()
				}
				b2.Wait(ctx)
				if _, _, err := b.Wait(ctx); err == nil {
					count(&after)
				}
			})
		}
		g.Wait(t)
		if passed != 0 || broken != n-1 || after != n {
			t.Fatalf("passed %d, broken %d, after reset %d; want 0, %d, %d", passed, broken, after, n-1, n)
		}
	})
}
