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
