package pool

import (
	"sync"
	"testing"
	"time"
)

// The queue keeps order, holds at most its capacity, and takes no more
// than asked, nor anything for a limit of zero or less.
func TestQueueOrderAndBounds(t *testing.T) {
	q := newQueue(4, 0)
	its := make([]*item, 6)
	for i := range its {
		its[i] = &item{index: i}
	}
	for i, it := range its {
		if ok := q.tryPush(it); ok != (i < 4) {
			t.Fatalf("push %d: %v with %d queued", i, ok, q.len())
		}
	}
	if got := q.take(nil, 0); len(got) != 0 {
		t.Fatalf("take(0) took %d", len(got))
	}
	if got := q.take(nil, -3); len(got) != 0 || q.len() != 4 {
		t.Fatalf("take(-3) took %d, %d left", len(got), q.len())
	}
	got := q.take(nil, 3)
	if len(got) != 3 || got[0] != its[0] || got[2] != its[2] {
		t.Fatalf("take(3) = %v", got)
	}
	for _, it := range its[4:] { // the ring wraps
		if !q.tryPush(it) {
			t.Fatal("no room after a take")
		}
	}
	for _, want := range []*item{its[3], its[4], its[5]} {
		if it := q.takeOne(); it != want {
			t.Fatalf("took item %d, want %d", it.index, want.index)
		}
	}
	if it := q.takeOne(); it != nil || q.len() != 0 {
		t.Fatalf("an empty queue gave %v", it)
	}
}

// Pushers that find the queue full and takers that find it empty all wake
// when they can go on: every item pushed is taken exactly once, and nobody
// is left waiting.
func TestQueueConcurrent(t *testing.T) {
	q := newQueue(8, 0)
	const pushers, takers, each = 4, 3, 5000
	var taken sync.Map
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for p := range pushers {
		wg.Go(func() {
			for i := range each {
				it := &item{index: p*each + i}
				for !q.tryPush(it) {
					<-q.room
				}
			}
		})
	}
	var tw sync.WaitGroup
	counts := make([]int, takers)
	for k := range takers {
		tw.Go(func() {
			var batch []*item
			for {
				batch = q.take(batch[:0], 1+k*3) // one, four, seven at a time
				if len(batch) == 0 {
					select {
					case <-q.ready:
						continue
					case <-stop:
						if q.len() == 0 {
							return
						}
						continue
					}
				}
				for _, it := range batch {
					if _, dup := taken.LoadOrStore(it.index, true); dup {
						t.Errorf("item %d taken twice", it.index)
					}
				}
				counts[k] += len(batch)
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute): // a hang guard only
		t.Fatal("pushers still waiting for room")
	}
	close(stop)
	tw.Wait()
	total := 0
	for _, c := range counts {
		total += c
	}
	if total != pushers*each {
		t.Fatalf("%d items taken, want %d", total, pushers*each)
	}
}
