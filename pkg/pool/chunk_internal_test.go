package pool

import (
	"context"
	"errors"
	"testing"

	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

var chunkTestFunc = task.Register("pool.chunktest", func(_ context.Context, x int) (int, error) { return x, nil })

// chunkOf returns a chunk of n calls of runState rs, the first with task
// id 100 and index 10.
func chunkOf(n int, rs *runState) *item {
	calls := make([]task.Call, n)
	for k := range calls {
		calls[k] = chunkTestFunc.Call(10 + k)
	}
	return &item{id: 100, index: 10, call: calls[0], chunk: &chunk{calls: calls}, run: rs}
}

// A chunk knows its calls' ids, which have results and which runs next;
// split gives the others items of their own with the same ids and indices,
// and complete gives each of them one result, counted in once.
func TestChunkItem(t *testing.T) {
	var got []Result
	rs := newRunState(context.Background(), func(r Result) { got = append(got, r) }, 64)
	it := chunkOf(64, rs)
	it.attempts = 2
	if it.count() != 64 || !it.has(100) || !it.has(163) || it.has(164) || it.has(99) {
		t.Fatalf("a chunk of 64 from id 100: count %d, has 100 %v, 163 %v, 164 %v, 99 %v",
			it.count(), it.has(100), it.has(163), it.has(164), it.has(99))
	}
	it.chunk.done = 1<<0 | 1<<1 | 1<<5 | 1<<63
	if it.left() != 60 || it.running() != 102 {
		t.Fatalf("left %d, running %d; want 60 and 102", it.left(), it.running())
	}
	parts := it.split()
	if len(parts) != 60 {
		t.Fatalf("split into %d", len(parts))
	}
	for _, p := range parts {
		k := int(p.id - 100)
		if k < 2 || k == 5 || k == 63 || p.index != 10+k || p.call != it.chunk.calls[k] || p.isChunk() || p.attempts != 2 {
			t.Fatalf("part %+v of call %d", p, k)
		}
	}
	it.complete(Result{Err: &TaskError{Kind: wire.KindCancelled}})
	if len(got) != 60 {
		t.Fatalf("%d results for the 60 calls without one", len(got))
	}
	seen := map[int]bool{}
	var first *TaskError
	for _, r := range got {
		var te *TaskError
		if seen[r.Index] || r.Index < 12 || r.Index == 15 || r.Index == 73 || !errors.As(r.Err, &te) || r.Attempts != 2 {
			t.Fatalf("result %+v", r)
		}
		if te == first {
			t.Fatal("two results share one *TaskError")
		}
		first, seen[r.Index] = te, true
	}
	if rs.left.Load() != 4 {
		t.Fatalf("%d results still to come, want 4", rs.left.Load())
	}
}

// take counts the calls of chunks against its limit; takeOne takes a chunk
// whatever its size.
func TestQueueTakesCalls(t *testing.T) {
	q := newQueue(8, true)
	rs := newRunState(context.Background(), func(Result) {}, 0)
	its := []*item{chunkOf(4, rs), {index: 1}, chunkOf(3, rs), {index: 2}}
	for _, it := range its {
		q.tryPush(it)
	}
	if got := q.take(nil, 3); len(got) != 0 || q.len() != 4 {
		t.Fatalf("take(3) with a chunk of 4 in front took %d", len(got))
	}
	if got := q.take(nil, 8); len(got) != 3 || got[0] != its[0] || got[2] != its[2] {
		t.Fatalf("take(8) took %d items, want the chunk of 4, a task and the chunk of 3", len(got))
	}
	if it := q.takeOne(); it != its[3] || !q.empty.Load() {
		t.Fatalf("takeOne: %v, empty %v", it, q.empty.Load())
	}
	q.tryPush(its[0])
	if it := q.takeOne(); it != its[0] {
		t.Fatalf("takeOne gave %v, not the chunk", it)
	}
}

// Chunks are for short tasks in process mode with automatic batching, and
// fit a frame.
func TestChunkSize(t *testing.T) {
	for _, c := range []struct {
		name         string
		opts         Options
		nanos, bytes int64
		want         int
	}{
		{"unknown duration", Options{}, 0, 0, 1},
		{"1 ns", Options{}, 1, 0, maxChunk},
		{"100 µs", Options{}, 100_000, 0, 1},
		{"10 µs", Options{}, 10_000, 0, int(chunkTime / 10_000)},
		{"16 KiB calls", Options{}, 1, 16 << 10, maxFrameBytes / (16 << 10)},
		{"thread mode", Options{Mode: Thread}, 1, 0, 1},
		{"batch 1", Options{Batch: 1}, 1, 0, 1},
		{"batch 100", Options{Batch: 100}, 1, 0, 1},
		{"prefetch", Options{Prefetch: 8}, 1, 0, 1},
		{"recycled workers", Options{MaxTasksPerWorker: 1000}, 1, 0, 1},
	} {
		p := &Pool{opts: c.opts}
		p.taskNanos.Store(c.nanos)
		p.callBytes.Store(c.bytes)
		if got := p.chunkSize(); got != c.want {
			t.Errorf("%s: chunkSize %d, want %d", c.name, got, c.want)
		}
	}
}
