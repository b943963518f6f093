package pool

import (
	"math/bits"
	"sync/atomic"

	"github.com/brinehq/brine/internal/prefault"
	"github.com/brinehq/brine/pkg/lane"
	"github.com/brinehq/brine/pkg/task"
)

// A chunk is an item that carries several calls of one function with the
// same bound arguments, as Pool.map ships a chunk of its iterable: they go
// to a worker as one Calls message (docs/PROTOCOL.md §4), where the
// function and its bound arguments travel once, and they share one place
// in the queue and in flight. Call k of chunk it is task it.id+k, the
// it.index+k-th of its run, answered by a result of its own.
//
// Run makes chunks of short tasks, in process mode with automatic batching
// and prefetch. It never holds a call back: a chunk enters the queue with
// its first call and grows there, call by call, until a sender takes it,
// which seals it, or it is full. So a worker with nothing to do never waits
// for a chunk to fill, and a call whose build waits for the result of the
// one before still gets it.
//
// Whatever must treat a call on its own (salvage after a worker died, a
// call that cannot be encoded) splits the chunk into single items first.
const (
	maxChunk = 64 // most calls in a chunk: the bits of chunk.done
	// chunkTime is about how long the calls of one chunk should run: short
	// enough that a window of flightTarget holds several chunks, so that
	// the pool still balances work between workers.
	chunkTime = flightTarget / 8
)

// chunkSize is how many calls Run should put in a chunk now: as many as
// run in chunkTime at the tasks' measured duration, within a frame's bytes
// at their measured size, or 1 when tasks are not known to be short yet.
func (p *Pool) chunkSize() int {
	if !p.mayChunk() {
		return 1
	}
	avg := p.taskNanos.Load()
	if avg <= 0 {
		return 1
	}
	k := int64(chunkTime) / avg
	if size := p.callBytes.Load(); size >= lane.MinPayload {
		return 1 // alone, it goes by lane: its bytes are copied once
	} else if size > 0 {
		k = min(k, maxFrameBytes/size)
	}
	return int(min(max(k, 1), maxChunk))
}

// mayChunk reports whether the pool sends chunks at all: in process mode
// with automatic batching and prefetch, and without recycling, since a
// chunk is sent and held whole, not where frames, the tasks a worker holds
// or those it is sent are counted exactly.
func (p *Pool) mayChunk() bool {
	o := &p.opts
	return o.Mode == Process && o.Batch == 0 && o.Prefetch == 0 && o.MaxTasksPerWorker == 0
}

// chunk is what a chunk item carries besides an item's fields. Run adds
// calls to it while it waits in the queue; once taken, it is sealed and
// its calls are fixed.
//
// A chunk is used again once both its references are gone: Run's, held
// while the chunk is the one it adds to (Run may look at it long after
// its item completed, and finds it sealed), and its item's, until the item
// completed and is recycled (itemSink.put). A chunk whose item ends
// otherwise, split or cancelled, is left to the garbage collector.
type chunk struct {
	room  []task.Call   // the calls are room[:count]; its length is the most
	state atomic.Uint64 // count, and sealed once a sender took it
	done  uint64        // bit k: call k has its result; once in flight
	refs  atomic.Int32  // Run's and the item's, see above
}

const chunkSealed = 1 << 63

// provision makes, as a pool that makes chunks starts, what a run of
// short tasks holds at once when its queue holds calls calls: the chunks
// in the queue and in flight, and their items. Made during the run, they
// were fresh memory, which a pool's first large run paid for in page
// faults; so the chunks are written through (internal/prefault)
// (bench/RESULTS.md, "Design measurements": Provisioning a pool for short
// tasks; Buffers written through as they are made). The chunks stay the
// pool's for its life, used again as runs end (see release); one made past
// them, under a rare load, is let go.
//
// It makes the free list now, and returns what fills it, for New to run
// while the workers start.
func (p *Pool) provision(calls int) (fill func()) {
	// The queue holds at most calls/maxChunk chunks, and the workers'
	// windows as many again (the queue's room is their windows').
	n := 2 * calls / maxChunk
	p.chunks = make(chan *chunk, n)
	return func() {
		for range n {
			p.chunks <- &chunk{room: prefault.Slice[task.Call](maxChunk)[:maxChunk]}
		}
		// An item for each, and the batches that wait to be filled or
		// used (see stock) hold about as many again.
		p.stock.fill(2 * n)
	}
}

// newChunk returns a chunk of size calls, the first c, with the references
// of Run and of its item, one used before if the pool has one.
func (p *Pool) newChunk(c task.Call, size int) *chunk {
	var ch *chunk
	select {
	case ch = <-p.chunks:
	default:
		// Room for the largest, so that any size can use it again.
		ch = &chunk{room: make([]task.Call, maxChunk)}
	}
	ch.room = ch.room[:size]
	ch.room[0] = c
	ch.done = 0
	ch.refs.Store(2)
	ch.state.Store(1)
	return ch
}

// release drops a reference to ch; the last keeps ch for a new chunk.
func (p *Pool) release(ch *chunk) {
	if ch.refs.Add(-1) == 0 {
		clear(ch.room[:cap(ch.room)]) // let the calls go
		select {
		case p.chunks <- ch:
		default:
		}
	}
}

// tryAdd appends c, unless the chunk is full or sealed.
func (ch *chunk) tryAdd(c task.Call) bool {
	n := ch.state.Load()
	if n&chunkSealed != 0 || n >= uint64(len(ch.room)) {
		return false
	}
	// Only Run writes room[n], and a reader reads room[:count] once the
	// chunk is sealed, with n not in it unless the swap below succeeded.
	ch.room[n] = c
	if ch.state.CompareAndSwap(n, n+1) {
		return true
	}
	ch.room[n] = nil // sealed meanwhile, without it
	return false
}

// seal fixes the chunk's calls.
func (ch *chunk) seal() { ch.state.Or(chunkSealed) }

// count is how many calls the chunk has.
func (ch *chunk) count() int { return int(ch.state.Load() &^ chunkSealed) }

// calls returns the chunk's calls: those it has when it is sealed.
func (ch *chunk) calls() []task.Call { return ch.room[:ch.count()] }

// count is how many calls it carries.
func (it *item) count() int {
	if it.chunk == nil {
		return 1
	}
	return it.chunk.count()
}

// isChunk reports whether it carries several calls.
func (it *item) isChunk() bool { return it.chunk != nil }

// has reports whether task id is one of it's calls.
func (it *item) has(id uint64) bool { return id-it.id < uint64(it.count()) }

// left is how many of it's calls await their result.
func (it *item) left() int {
	if !it.isChunk() {
		return 1
	}
	return it.chunk.count() - bits.OnesCount64(it.chunk.done)
}

// split returns an item of its own for each call of chunk it that awaits
// its result, with the chunk's history, and the same task ids.
func (it *item) split() []*item {
	its := make([]*item, 0, it.left())
	for k, c := range it.chunk.calls() {
		if it.chunk.done&(1<<k) == 0 {
			its = append(its, &item{id: it.id + uint64(k), index: it.index + k, call: c,
				attempts: it.attempts, faults: it.faults, sent: it.sent, run: it.run})
		}
	}
	return its
}

// noteTask folds a task's measured duration into the pool's estimate, which
// decides the size of chunks.
func (p *Pool) noteTask(avg int64) {
	if p.taskNanos.Load() != avg {
		p.taskNanos.Store(avg)
	}
}

// noteCallBytes records the encoded size of one call, for the size of chunks.
func (p *Pool) noteCallBytes(n int64) {
	if p.callBytes.Load() != n {
		p.callBytes.Store(n)
	}
}
