package pool

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/task"
)

// TestGrabAfter: a thread worker takes several tasks at once only after a
// short one, and never more than Prefetch.
func TestGrabAfter(t *testing.T) {
	for _, c := range []struct {
		prefetch int
		compute  time.Duration
		want     int
	}{
		{0, 0, threadGrab},
		{0, time.Microsecond, threadGrab},
		{0, threadShort, 1},
		{0, time.Second, 1},
		{1, time.Microsecond, 1},
		{3, time.Microsecond, 3},
		{3, time.Second, 1},
		{100, time.Microsecond, threadGrab},
	} {
		th := &threads{p: &Pool{opts: Options{Mode: Thread, Prefetch: c.prefetch}}}
		if got := th.grabAfter(c.compute); got != c.want {
			t.Errorf("Prefetch %d, after a task of %v: takes %d, want %d", c.prefetch, c.compute, got, c.want)
		}
	}
}

// TestNextUpTo: a thread worker takes up to n waiting items in queue
// order, one at a time when n is 1, and nothing once the pool quits, even
// with items waiting (Close fails those).
func TestNextUpTo(t *testing.T) {
	p := &Pool{queue: newQueue(16, 0), quit: make(chan struct{}), retry: make(chan *item, 1)}
	take := func(n int) []*item { return p.nextUpTo(nil, n, p.quit, nil) }
	its := make([]*item, 12)
	for i := range its {
		its[i] = &item{id: uint64(i)}
		if !p.queue.tryPush(its[i]) {
			t.Fatal("the queue is full")
		}
	}
	want := func(got []*item, from, to int) {
		t.Helper()
		if len(got) != to-from {
			t.Fatalf("took %d items, want %d", len(got), to-from)
		}
		for i, it := range got {
			if it != its[from+i] {
				t.Fatalf("item %d is task %d, want %d", i, it.id, from+i)
			}
		}
	}
	want(take(1), 0, 1)
	want(take(threadGrab), 1, 1+threadGrab)
	want(take(threadGrab), 1+threadGrab, 12) // what is left
	p.queue.tryPush(&item{id: 99})
	close(p.quit)
	if got := take(threadGrab); len(got) != 0 {
		t.Fatalf("took %d items after quit", len(got))
	}
}

// Channels the tasks of TestRunEndsBeforeAnotherRunsTask wait on, made
// anew by each run of it.
var (
	holdFirst, holdOther chan struct{}
	waitOn               = task.Register("pool.internal.waitOn", func(_ context.Context, which int) (int, error) {
		if which == 0 {
			<-holdFirst
			time.Sleep(threadShort) // long enough that the worker takes one task next
		} else {
			<-holdOther
		}
		return which, nil
	})
	quick = task.Register("pool.internal.quick", func(_ context.Context, x int) (int, error) { return x, nil })
)

// A thread worker counts a run's results in before it runs a task of
// another run: with the last tasks of run A and a long task of run B taken
// together, A's Run ends while B's task runs, not after it.
func TestRunEndsBeforeAnotherRunsTask(t *testing.T) {
	holdFirst, holdOther = make(chan struct{}), make(chan struct{})
	p, err := New(context.Background(), WithMode(Thread), WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	defer close(holdOther) // B's task, whatever happens
	ctx := context.Background()
	a := newRunState(ctx, func(Result) {}, 3)
	b := newRunState(ctx, func(Result) {}, 1)
	enqueue := func(rs *runState, c task.Call) {
		if err := p.enqueue(ctx, &item{id: p.ids.Add(1), call: c, run: rs}); err != nil {
			t.Fatal(err)
		}
	}
	queued := func() int {
		p.queue.mu.Lock()
		defer p.queue.mu.Unlock()
		return p.queue.n
	}
	enqueue(a, waitOn.Call(0))
	for queued() > 0 { // the worker takes it, and waits in it
		runtime.Gosched()
	}
	enqueue(a, quick.Call(1))
	enqueue(a, quick.Call(2))
	enqueue(b, waitOn.Call(1)) // behind A's: taken with the last of them
	close(holdFirst)
	select {
	case <-a.done:
	case <-time.After(time.Minute): // a hang guard only
		t.Fatal("run A did not end while run B's task ran")
	}
}
