package pool

import (
	"context"
	"errors"
	"testing"
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
