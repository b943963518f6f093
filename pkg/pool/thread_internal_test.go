package pool

import (
	"testing"
	"time"
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
