package cond

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestSpinUntil(t *testing.T) {
	var flag atomic.Bool
	go func() {
		time.Sleep(time.Millisecond)
		flag.Store(true)
	}()
	if !spinUntil(context.Background(), time.Minute, flag.Load) {
		t.Fatal("spinUntil gave up before the flag it watched was set")
	}
	if spinUntil(context.Background(), time.Millisecond, func() bool { return false }) {
		t.Fatal("spinUntil reported done for a condition that never held")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if spinUntil(ctx, time.Minute, func() bool { return false }) {
		t.Fatal("spinUntil reported done after its context ended")
	}
	if d := spinOf(WithSpin(context.Background(), 3*time.Millisecond)); d != 3*time.Millisecond {
		t.Fatalf("spinOf = %v", d)
	}
	if d := spinOf(context.Background()); d != 0 {
		t.Fatalf("spinOf of a plain context = %v", d)
	}
}

// A shared barrier's waiter under WithSpin spins until its release comes,
// and one under a plain context does not spin at all.
func TestBarrierSpins(t *testing.T) {
	var yields atomic.Int64
	real := yield
	yield = func() { yields.Add(1); real() }
	t.Cleanup(func() { yield = real })
	for _, spin := range []time.Duration{0, time.Minute} {
		yields.Store(0)
		r, err := NewRegion(2)
		if err != nil {
			t.Fatal(err)
		}
		b, err := r.Barrier("b", 2)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang guard only
		waited := make(chan error, 1)
		go func() {
			_, _, err := b.Wait(WithSpin(ctx, spin))
			waited <- err
		}()
		for b.Waiting() < 1 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(5 * time.Millisecond) // the waiter spins (or sleeps) meanwhile
		_, _, err = b.Wait(ctx)
		if werr := <-waited; err != nil || werr != nil {
			t.Fatalf("spin %v: Wait = %v, waiter = %v", spin, err, werr)
		}
		cancel()
		r.Close()
		if n := yields.Load(); spin > 0 && n == 0 || spin == 0 && n != 0 {
			t.Errorf("spin %v: the waiter yielded %d times", spin, n)
		}
	}
}
