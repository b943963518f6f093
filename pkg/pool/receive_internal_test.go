package pool

import (
	"bytes"
	"context"
	"testing"

	"github.com/brinehq/brine/pkg/wire"
)

// Small result values move out of their frame, each into room of its own,
// so that the frame can be read over; a frame with a large value keeps its
// values where they are.
func TestValueBlocks(t *testing.T) {
	var vb valueBlocks
	frame := []byte("abcdefgh")
	rs := []wire.Result{{Value: frame[0:3]}, {Err: &wire.Error{Kind: wire.KindError}}, {Value: frame[3:8]}}
	if !vb.hold(rs) {
		t.Fatal("small values were not moved")
	}
	copy(frame, "XXXXXXXX") // the next frame read over this one
	if string(rs[0].Value) != "abc" || rs[1].Value != nil || string(rs[2].Value) != "defgh" {
		t.Fatalf("values after the frame was read over: %q %q %q", rs[0].Value, rs[1].Value, rs[2].Value)
	}
	if cap(rs[0].Value) != 3 {
		t.Fatalf("a value has capacity %d past its 3 bytes: appending to it would write over the next", cap(rs[0].Value))
	}
	for len(vb.block)+200 <= valueBlock { // fill the block
		vb.hold([]wire.Result{{Value: make([]byte, 200)}})
	}
	last := []wire.Result{{Value: bytes.Repeat([]byte{7}, 200)}}
	if !vb.hold(last) || !bytes.Equal(last[0].Value, bytes.Repeat([]byte{7}, 200)) || string(rs[2].Value) != "defgh" {
		t.Fatal("a value that did not fit the block was not moved to a new one intact")
	}

	big := make([]byte, smallValue+1)
	rs = []wire.Result{{Value: frame[0:2]}, {Value: big}}
	if vb.hold(rs) || &rs[0].Value[0] != &frame[0] || &rs[1].Value[0] != &big[0] {
		t.Fatal("a frame with a large value had its values moved")
	}
}

// A worker's first result does not seed its average task time, which sets
// its window: a fresh process's first call can take a thousand times as
// long as the next. The results after it count, one frame or many.
func TestAnsweredSkipsFirstResult(t *testing.T) {
	took := func(nanos ...uint64) []wire.Result {
		rs := make([]wire.Result, len(nanos))
		for i, n := range nanos {
			rs[i].Nanos = n
		}
		return rs
	}
	w := newProc(&processes{p: &Pool{}}, &slot{}, newFakeConn(nil))
	w.answered(took(500_000)) // a cold first call: 0.5 ms
	if w.avg.Load() != 0 || w.window() != minWindow || w.completed.Load() != 1 {
		t.Fatalf("after the first result: average %d ns, window %d, %d completed; want none yet, %d, 1",
			w.avg.Load(), w.window(), w.completed.Load(), minWindow)
	}
	w.answered(took(100, 100))
	if w.avg.Load() != 100 || w.window() != maxWindow || w.completed.Load() != 3 {
		t.Fatalf("after two 100 ns calls: average %d ns, window %d, %d completed; want 100, %d, 3",
			w.avg.Load(), w.window(), w.completed.Load(), maxWindow)
	}

	w = newProc(&processes{p: &Pool{}}, &slot{}, newFakeConn(nil))
	w.answered(took(500_000, 100, 100)) // the first result in a frame with others
	if w.avg.Load() != 100 || w.slot.tasks.Load() != 3 {
		t.Fatalf("first frame of three: average %d ns, %d tasks; want 100, 3", w.avg.Load(), w.slot.tasks.Load())
	}
	w.answered(took(900_000)) // later slow calls count in full
	if w.avg.Load() <= 100_000 {
		t.Fatalf("a 0.9 ms call after the first moved the average only to %d ns", w.avg.Load())
	}
}

// finishN reports the results that complete a run, and only those: the
// receiver yields to the run's waiter then.
func TestFinishNReportsTheLast(t *testing.T) {
	rs := newRunState(context.Background(), func(Result) {}, 5)
	for i, c := range []struct {
		n    int
		last bool
	}{{2, false}, {2, false}, {1, true}} {
		if got := rs.finishN(c.n); got != c.last {
			t.Fatalf("step %d: finishN(%d) = %v, want %v", i, c.n, got, c.last)
		}
	}
	select {
	case <-rs.done:
	default:
		t.Fatal("the run is not done after its last result")
	}
}
