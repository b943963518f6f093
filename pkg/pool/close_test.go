package pool

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/task"
)

// A call whose Run found the pool open but that reaches the queue only
// after Close has drained it is cancelled all the same, exactly once,
// instead of waiting in the queue for a worker that will never come.
func TestAdmitAfterCloseDrained(t *testing.T) {
	for range 50 { // admit's select picks the queue or quit at random
		p, err := New(context.Background(), WithMode(Thread), WithWorkers(1))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		var got []Result
		rs := newRunState(context.Background(), func(r Result) { got = append(got, r) }, 1)
		it := p.newItem(7, fuzzCall{}, rs)
		if err := p.admit(context.Background(), it); err != nil {
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("admit: %v, want nil or ErrClosed", err)
			}
			it.cancelled(err) // what Run does with a call enqueue refuses
		}
		if len(got) != 1 || got[0].Index != 7 || !isCancelled(got[0].Err) {
			t.Fatalf("results %+v: want one, task 7 cancelled", got)
		}
		if n := p.queue.len(); n != 0 {
			t.Fatalf("%d items left in the queue of a closed pool", n)
		}
	}
}

var (
	// made by each test that holds a worker: hold says it runs on
	// holdStarted, and returns once holdRelease is closed
	holdStarted, holdRelease chan struct{}
	hold                     = task.Register("pool_internal.hold", func(_ context.Context, _ int) (int, error) {
		holdStarted <- struct{}{}
		<-holdRelease
		return 0, nil
	})
	ran   atomic.Int64
	tally = task.Register("pool_internal.tally", func(_ context.Context, x int) (int, error) {
		ran.Add(1)
		return x, nil
	})
)

// Calls still queued when the pool closes are cancelled, not run: a worker
// that finishes its task after Close takes no more.
func TestCloseCancelsQueued(t *testing.T) {
	holdStarted, holdRelease = make(chan struct{}, 1), make(chan struct{})
	ran.Store(0)
	p, err := New(context.Background(), WithMode(Thread), WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	held := Submit(context.Background(), p, hold, 0)
	<-holdStarted // the one worker is busy: what follows stays queued
	const n = 100
	var cancelled atomic.Int64
	runDone := make(chan error, 1)
	go func() {
		runDone <- p.Run(context.Background(), n, func(i int) task.Call { return tally.Call(i) }, func(r Result) {
			if isCancelled(r.Err) {
				cancelled.Add(1)
			}
		})
	}()
	for p.queue.len() < n {
		time.Sleep(time.Millisecond)
	}
	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	for !p.closed.Load() {
		time.Sleep(time.Millisecond)
	}
	close(holdRelease)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if _, err := held.Wait(context.Background()); err != nil {
		t.Fatalf("the held task: %v", err)
	}
	if err := <-runDone; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if ran.Load() != 0 || cancelled.Load() != n {
		t.Fatalf("after Close, %d queued calls ran and %d were cancelled; want 0 and %d", ran.Load(), cancelled.Load(), n)
	}
}
