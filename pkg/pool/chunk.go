package pool

import (
	"bytes"
	"math/bits"

	"github.com/brinehq/brine/pkg/task"
)

// A chunk is an item that carries several calls of one function with the
// same bound arguments, as Pool.map ships a chunk of its iterable: they go
// to a worker as one Calls message (docs/PROTOCOL.md §4), where the
// function and its bound arguments travel once, and they share one place
// in the queue and in flight. Call k of chunk it is task it.id+k, the
// it.index+k-th of its run, answered by a result of its own.
//
// Chunks are made by Run for short tasks only, in process mode with
// automatic batching and prefetch, and only while the calls of a run are
// being added;
// whatever must treat a call on its own (salvage after a worker died, a
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
	if size := p.callBytes.Load(); size > 0 {
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

// sameChunk reports whether c may join a chunk whose first call is first:
// the same function and the same bound arguments.
func sameChunk(first, c task.Call) bool {
	return c.Func() == first.Func() && bytes.Equal(c.Bound(), first.Bound())
}

// chunk is what a chunk item carries besides an item's fields.
type chunk struct {
	calls []task.Call
	done  uint64 // bit k: call k has its result
}

// count is how many calls it carries.
func (it *item) count() int {
	if it.chunk == nil {
		return 1
	}
	return len(it.chunk.calls)
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
	return len(it.chunk.calls) - bits.OnesCount64(it.chunk.done)
}

// split returns an item of its own for each call of chunk it that awaits
// its result, with the chunk's history, and the same task ids.
func (it *item) split() []*item {
	its := make([]*item, 0, it.left())
	for k, c := range it.chunk.calls {
		if it.chunk.done&(1<<k) == 0 {
			its = append(its, &item{id: it.id + uint64(k), index: it.index + k, call: c,
				attempts: it.attempts, faults: it.faults, sent: it.sent, run: it.run})
		}
	}
	return its
}

// chunker groups the calls Run adds into chunks of equal function and bound
// arguments, and hands each, or each call alone, to add. A chunk goes when
// it is full, or at once when the queue is empty: calls are not held back
// from workers that may have nothing to do.
type chunker struct {
	p     *Pool
	calls []task.Call // the chunk being filled
	index int         // of its first call
	size  int         // calls it is to hold
}

// push adds call c, the index-th of its run, handing add every item that
// is ready. On an error of add, which has completed the item it refused,
// push returns it and whether c was in that item; either way nothing is
// left in the chunker.
func (ch *chunker) push(index int, c task.Call, add func(*item) error, items *itemSource, rs *runState) (took bool, _ error) {
	if len(ch.calls) > 0 && !sameChunk(ch.calls[0], c) {
		if err := ch.flush(add, items, rs); err != nil {
			return false, err
		}
	}
	if len(ch.calls) == 0 {
		ch.size, ch.index = ch.p.chunkSize(), index
		if ch.size == 1 {
			return true, add(items.next(index, c, rs))
		}
	}
	ch.calls = append(ch.calls, c)
	// Nothing waits for the workers: they may be idle, or the next call's
	// build may wait for this one's result. What there is goes now.
	if len(ch.calls) == ch.size || ch.p.queue.empty.Load() {
		return true, ch.flush(add, items, rs)
	}
	return true, nil
}

// flush hands the chunk being filled, if any, to add, and returns add's
// error.
func (ch *chunker) flush(add func(*item) error, items *itemSource, rs *runState) error {
	if len(ch.calls) == 0 {
		return nil
	}
	var it *item
	if len(ch.calls) == 1 {
		it = items.next(ch.index, ch.calls[0], rs)
	} else {
		it = items.nextChunk(ch.index, ch.calls, rs)
	}
	clear(ch.calls)
	ch.calls = ch.calls[:0]
	return add(it)
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
