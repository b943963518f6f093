package worker

import (
	"bufio"
	"bytes"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/wire"
)

// A stale flush writes the pending results only once it has taken the input
// over from a task that runs: while the loop holds it, between two tasks, it
// waits, and it writes nothing once the loop has gone idle.
func TestFlushStaleTakesTheInputOver(t *testing.T) {
	var out bytes.Buffer
	s := &server{w: bufio.NewWriter(&out)}
	s.one = wire.AppendResultTail(append(wire.AppendResultHead(nil, 7), 0xc0), nil, 0) // a nil value
	s.armed.Store(true)
	if err := s.add(false, false); err != nil { // the loop holds the input (readLoop)
		t.Fatal(err)
	}
	s.staleRuns.Add(1)
	done := make(chan struct{})
	go func() { s.flushStale(); close(done) }()
	select {
	case <-done:
		t.Fatal("flushStale returned while the loop held the input, between tasks")
	case <-time.After(20 * staleRetry):
	}
	if s.armed.Load() {
		t.Fatal("a stale flush under way left the timer armed: a result added now would arm none")
	}
	s.watch.reading.Store(readTask) // the loop runs its next task
	<-done
	if got := s.watch.reading.Load(); got != readTask {
		t.Fatalf("after the flush the input is %d, want handed back to the task (%d)", got, readTask)
	}
	body, err := wire.NewReader(&out, 0, 0).Next()
	if err != nil {
		t.Fatalf("nothing written: %v", err)
	}
	if rs, err := wire.DecodeResults(body, nil); err != nil || len(rs) != 1 || rs[0].ID != 7 {
		t.Fatalf("written %+v, %v: want task 7's result", rs, err)
	}

	// Idle: the loop waits for input with nothing pending, or has ended.
	s.watch.reading.Store(readLoop)
	s.idle.Store(true)
	if err := s.add(false, false); err != nil {
		t.Fatal(err)
	}
	s.staleRuns.Add(1)
	s.flushStale() // returns at once
	if s.n != 1 || out.Len() != 0 {
		t.Fatalf("an idle loop's stale flush wrote: %d pending, %d bytes out", s.n, out.Len())
	}
	s.staleRuns.Wait()
}
