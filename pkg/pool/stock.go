package pool

import (
	"sync"

	"github.com/brinehq/brine/pkg/task"
)

// stock keeps the items of completed tasks for new calls, so that a run's
// calls take memory that is already in use: fresh memory is what a short
// run pays most for, in page faults. Items travel in batches between the
// goroutines that complete tasks and those that add calls, one lock per
// batch rather than per item.
type stock struct {
	mu    sync.Mutex
	full  [][]*item // batches of stockBatch items ready for use
	empty [][]*item // batches handed out, to be filled again
}

const (
	stockBatch = 128 // items per batch
	stockMax   = 64  // most full batches kept: ~8,000 items, 800 KB
)

// take returns a batch of items to use, or nil when there is none; the
// caller's emptied batch, if any, is kept to be filled again.
func (s *stock) take(emptied []*item) []*item {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cap(emptied) == stockBatch {
		s.empty = append(s.empty, emptied[:0])
	}
	n := len(s.full)
	if n == 0 {
		return nil
	}
	b := s.full[n-1]
	s.full[n-1] = nil
	s.full = s.full[:n-1]
	return b
}

// give stores a full batch and returns an empty one to fill next.
func (s *stock) give(b []*item) []*item {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.full) < stockMax {
		s.full = append(s.full, b)
		b = nil
	}
	if n := len(s.empty); n > 0 && b == nil {
		b = s.empty[n-1]
		s.empty[n-1] = nil
		s.empty = s.empty[:n-1]
	}
	if b == nil {
		b = make([]*item, 0, stockBatch)
	}
	return b[:0]
}

// fill adds full batches of new items, enough for n items, within
// stockMax batches.
func (s *stock) fill(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ; n > 0 && len(s.full) < stockMax; n -= stockBatch {
		b := make([]*item, stockBatch)
		for i := range b {
			b[i] = new(item)
		}
		s.full = append(s.full, b)
	}
}

// itemSource hands out items to one goroutine adding calls.
type itemSource struct {
	p     *Pool
	batch []*item
	fresh int // new items to make before looking in the stock again
}

// next returns the item of call c, the index-th of rs.
func (src *itemSource) next(index int, c task.Call, rs *runState) *item {
	var it *item
	if n := len(src.batch); n > 0 { // take's common case, inline
		it = src.batch[n-1]
		src.batch[n-1] = nil
		src.batch = src.batch[:n-1]
	} else {
		it = src.take()
	}
	// Written whole, not read: it was last used on another core.
	*it = item{id: src.p.ids.Add(1), index: index, call: c, run: rs}
	return it
}

// nextChunk returns the item of ch, a new chunk whose first call is the
// index-th of rs. The task ids of as many calls as ch has room for are
// taken now; those it does not use are skipped.
func (src *itemSource) nextChunk(index int, ch *chunk, rs *runState) *item {
	it := src.take()
	n := uint64(len(ch.room))
	*it = item{id: src.p.ids.Add(n) - n + 1, index: index, call: ch.room[0], chunk: ch, run: rs}
	return it
}

// take returns an item from the stock, or a new one.
func (src *itemSource) take() *item {
	if len(src.batch) == 0 && src.fresh == 0 {
		if src.batch = src.p.stock.take(src.batch); src.batch == nil {
			src.fresh = stockBatch // none yet: look again a batch later
		}
	}
	if n := len(src.batch); n > 0 {
		it := src.batch[n-1]
		src.batch[n-1] = nil
		src.batch = src.batch[:n-1]
		return it
	}
	src.fresh--
	return new(item)
}

// itemSink takes the items of tasks one goroutine completed.
type itemSink struct {
	p     *Pool
	batch []*item
}

// put keeps it, which has completed and to which the pool holds no
// reference any more, for a new call.
func (snk *itemSink) put(it *item) {
	if it.chunk != nil {
		snk.p.release(it.chunk)
	}
	*it = item{}
	if snk.batch == nil {
		snk.batch = make([]*item, 0, stockBatch)
	}
	snk.batch = append(snk.batch, it)
	if len(snk.batch) == stockBatch {
		snk.batch = snk.p.stock.give(snk.batch)
	}
}
