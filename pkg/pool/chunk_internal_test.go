package pool

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

var chunkTestFunc = task.Register("pool.chunktest", func(_ context.Context, x int) (int, error) { return x, nil })

// chunkOf returns a sealed chunk of n calls of runState rs, the first with
// task id 100 and index 10.
func chunkOf(n int, rs *runState) *item {
	it := openChunk(n, n, rs)
	it.chunk.seal()
	return it
}

// openChunk returns a chunk of n calls, as chunkOf, with room for size and
// not sealed, as Run queues it.
func openChunk(n, size int, rs *runState) *item {
	ch := new(Pool).newChunk(chunkTestFunc.Call(10), size)
	for k := 1; k < n; k++ {
		if !ch.tryAdd(chunkTestFunc.Call(10 + k)) {
			panic("a new chunk refused a call")
		}
	}
	return &item{id: 100, index: 10, call: ch.room[0], chunk: ch, run: rs}
}

// A chunk takes calls up to its size until it is sealed, and then keeps
// those it has.
func TestChunkGrowsUntilSealed(t *testing.T) {
	ch := new(Pool).newChunk(chunkTestFunc.Call(0), 3)
	if !ch.tryAdd(chunkTestFunc.Call(1)) || ch.count() != 2 {
		t.Fatalf("a chunk of room 3 with one call: tryAdd, count %d", ch.count())
	}
	ch.seal()
	if ch.tryAdd(chunkTestFunc.Call(2)) || ch.count() != 2 || len(ch.calls()) != 2 || ch.room[2] != nil {
		t.Fatalf("sealed: count %d, calls %d, room[2] %v", ch.count(), len(ch.calls()), ch.room[2])
	}
	full := new(Pool).newChunk(chunkTestFunc.Call(0), 2)
	if !full.tryAdd(chunkTestFunc.Call(1)) || full.tryAdd(chunkTestFunc.Call(2)) || full.count() != 2 {
		t.Fatalf("a chunk of room 2: count %d", full.count())
	}
}

// A chunk is used again only once Run and its item have both let it go,
// and then holds no call of its past.
func TestChunkReusedOnceLetGo(t *testing.T) {
	p := new(Pool)
	p.provision(maxChunk)() // two chunks
	ch := p.newChunk(chunkTestFunc.Call(0), 4)
	ch.tryAdd(chunkTestFunc.Call(1))
	ch.seal()
	ch.done = 0b11 // both calls answered
	p.release(ch)  // the item's
	if other := p.newChunk(chunkTestFunc.Call(2), 4); other == ch {
		t.Fatal("a chunk Run still holds was handed out again")
	}
	p.release(ch) // Run's
	for k, c := range ch.room[:cap(ch.room)] {
		if c != nil {
			t.Fatalf("a chunk let go still holds call %d", k)
		}
	}
	again := p.newChunk(chunkTestFunc.Call(3), 2)
	if again != ch {
		t.Fatal("a chunk let go was not used again")
	}
	if again.count() != 1 || again.done != 0 || !again.tryAdd(chunkTestFunc.Call(4)) || again.tryAdd(chunkTestFunc.Call(5)) {
		t.Fatalf("a chunk used again with room 2: count %d, done %b", again.count(), again.done)
	}
}

// A pool that makes chunks starts with those a run of short tasks holds
// at once, and their items: such a run takes no fresh memory for them.
// One made past them is let go when done with.
func TestProvision(t *testing.T) {
	p := new(Pool)
	calls := 2 * maxWindow // a pool of two workers
	p.provision(calls)()
	n := 2 * calls / maxChunk
	if len(p.chunks) != n || cap(p.chunks) != n {
		t.Fatalf("%d chunks made, room for %d; want %d", len(p.chunks), cap(p.chunks), n)
	}
	c := chunkTestFunc.Call(0)
	if allocs := testing.AllocsPerRun(100, func() {
		ch := p.newChunk(c, maxChunk)
		p.release(ch) // the item's
		p.release(ch) // Run's
	}); allocs != 0 {
		t.Fatalf("a chunk taken and let go in a provisioned pool: %v allocations, want 0", allocs)
	}
	held := make([]*chunk, n+1) // all of them, and one more
	for i := range held {
		held[i] = p.newChunk(c, maxChunk)
	}
	for _, ch := range held {
		p.release(ch)
		p.release(ch)
	}
	if len(p.chunks) != n {
		t.Fatalf("after %d chunks were let go, %d kept; want %d", n+1, len(p.chunks), n)
	}

	src := itemSource{p: p}
	for i := range 2 * n {
		src.take()
		if src.fresh != 0 {
			t.Fatalf("item %d of %d was made during the run", i, 2*n)
		}
	}
	if src.take(); src.fresh == 0 {
		t.Fatalf("more items than provisioned came from the stock: it holds %d batches", len(p.stock.full))
	}

	w := newProc(&processes{p: p}, &slot{}, newFakeConn(nil))
	if rx := newReceiver(w); cap(rx.rs) < frameResults || cap(rx.batch) < frameResults || cap(rx.spare) < shortFrameIn {
		t.Fatalf("a receiver of a pool that makes chunks has room for %d and %d results and a frame of %d bytes, want %d and %d bytes",
			cap(rx.rs), cap(rx.batch), cap(rx.spare), frameResults, shortFrameIn)
	}
	if cap(w.inflight.q) < shortFlight || cap(w.found) < frameResults {
		t.Fatalf("a worker of a pool that makes chunks has room for %d tasks in flight and %d found, want %d and %d",
			cap(w.inflight.q), cap(w.found), shortFlight, frameResults)
	}
	if rx := newReceiver(newProc(&processes{p: new(Pool)}, &slot{}, newFakeConn(nil))); cap(rx.rs) != 0 {
		t.Fatalf("a receiver of a pool that makes no chunks was made room for %d results", cap(rx.rs))
	}
}

// Run adds calls to a chunk in the queue while a sender takes it: every
// call ends up in exactly one chunk, in order, and none after the seal.
func TestChunkAddWhileTaken(t *testing.T) {
	for range 200 {
		ch := new(Pool).newChunk(chunkTestFunc.Call(0), maxChunk)
		added := make(chan int)
		go func() {
			k := 1
			for k < maxChunk && ch.tryAdd(chunkTestFunc.Call(k)) {
				k++
			}
			added <- k
		}()
		ch.seal()
		got := ch.calls()
		if k := <-added; len(got) != k {
			t.Fatalf("sealed with %d calls, but %d were added", len(got), k)
		}
		for k, c := range got {
			if c == nil {
				t.Fatalf("call %d of %d is missing", k, len(got))
			}
		}
	}
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
		if k < 2 || k == 5 || k == 63 || p.index != 10+k || p.call != it.chunk.room[k] || p.isChunk() || p.attempts != 2 {
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
// whatever its size. A chunk looked at is sealed, taken or not.
func TestQueueTakesCalls(t *testing.T) {
	q := newQueue(16, 16)
	rs := newRunState(context.Background(), func(Result) {}, 0)
	open := func(n int) *item { return openChunk(n, n+1, rs) }
	its := []*item{open(4), {index: 1}, open(3), {index: 2}}
	for _, it := range its {
		if !q.tryPush(it) {
			t.Fatalf("a queue of 16 calls refused %d items of 11", len(its))
		}
	}
	if got := q.take(nil, 3); len(got) != 0 || q.len() != 4 {
		t.Fatalf("take(3) with a chunk of 4 in front took %d", len(got))
	}
	if its[0].chunk.tryAdd(chunkTestFunc.Call(99)) {
		t.Fatal("a chunk take looked at took another call")
	}
	if got := q.take(nil, 8); len(got) != 3 || got[0] != its[0] || got[2] != its[2] || its[2].chunk.tryAdd(nil) {
		t.Fatalf("take(8) took %d items, want the chunk of 4, a task and the chunk of 3, sealed", len(got))
	}
	if it := q.takeOne(); it != its[3] || q.len() != 0 {
		t.Fatalf("takeOne: %v, %d left", it, q.len())
	}
	big := open(63)
	q.tryPush(big)
	if it := q.takeOne(); it != big || big.chunk.tryAdd(nil) {
		t.Fatalf("takeOne gave %v, not the chunk of 63, or left it open", it)
	}
}

// A queue of chunks bounds its calls, a chunk counting for its room; a chunk
// larger than the capacity still enters an empty queue, and whoever takes
// from a queue that may have refused a push passes on a room token.
func TestQueueCountsChunkRoom(t *testing.T) {
	q := newQueue(16, 16)
	rs := newRunState(context.Background(), func(Result) {}, 0)
	first := openChunk(1, 10, rs)
	if !q.tryPush(first) {
		t.Fatal("an empty queue refused a chunk")
	}
	second := openChunk(1, 7, rs)
	if q.tryPush(second) {
		t.Fatal("a queue of 16 calls took chunks of room 10 and 7")
	}
	if !q.tryPush(&item{index: 1}) {
		t.Fatal("a queue of 16 calls with a chunk of room 10 refused a single call")
	}
	if n := q.waiting(); n != 11 {
		t.Fatalf("a queue of a chunk of room 10 and a call: %d calls waiting, want 11", n)
	}
	if got := q.take(nil, 1); len(got) != 1 || got[0] != first {
		t.Fatalf("take: %v, want the chunk", got)
	}
	select {
	case <-q.room:
	default:
		t.Fatal("no room token after a take from a queue that refused a push")
	}
	if !q.tryPush(second) {
		t.Fatal("a queue of 16 calls with one queued refused a chunk of room 7")
	}
	q.take(nil, 16)
	if huge := openChunk(1, 40, rs); !q.tryPush(huge) || q.len() != 1 {
		t.Fatalf("an empty queue of 16 calls refused a chunk of room 40, or holds %d items", q.len())
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

// claim answers a chunk's calls one by one, takes it out of flight with
// its last, and refuses a second result for a call, an id past the calls it
// has, or a call it never had, leaving flight as it was.
func TestClaimChunk(t *testing.T) {
	w := newProc(&processes{p: &Pool{}}, &slot{}, newFakeConn(nil))
	rs := newRunState(context.Background(), func(Result) {}, 0)
	ch := openChunk(3, 8, rs) // ids 100 to 102, room to 107
	ch.chunk.seal()
	single := &item{id: 200, call: chunkTestFunc.Call(1), run: rs}
	w.track([]*item{ch, single}, time.Now())
	if w.n.Load() != 4 {
		t.Fatalf("%d calls in flight, want 4", w.n.Load())
	}
	results := func(ids ...uint64) []wire.Result {
		out := make([]wire.Result, len(ids))
		for i, id := range ids {
			out[i] = wire.Result{ID: id, Value: []byte{0xc0}}
		}
		return out
	}
	its, ended, err := w.claim(results(100, 101), nil, nil, nil)
	if err != nil || len(its) != 2 || its[0] != ch || its[1] != ch || len(ended) != 0 || ch.left() != 1 {
		t.Fatalf("two of three calls: %d items, %d ended, %d left, %v", len(its), len(ended), ch.left(), err)
	}
	for _, bad := range [][]uint64{{102, 101}, {102, 103}, {102, 99}, {200, 200}} {
		if _, _, err := w.claim(results(bad...), nil, nil, nil); !errors.Is(err, wire.ErrMalformed) {
			t.Errorf("results %v: %v, want a protocol error", bad, err)
		}
		if ch.left() != 1 || w.inflight.find(102, 0) < 0 || w.inflight.find(200, 0) < 0 {
			t.Fatalf("after results %v: %d left, flight %v", bad, ch.left(), w.inflight.q)
		}
	}
	its, ended, err = w.claim(results(102, 200), nil, nil, nil)
	if err != nil || len(its) != 2 || len(ended) != 2 || ended[0] != ch || ended[1] != single || w.n.Load() != 0 {
		t.Fatalf("the last call and the task: %d items, %d ended, %d in flight, %v", len(its), len(ended), w.n.Load(), err)
	}
}
