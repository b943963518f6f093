package pool

import "sync"

// queue is the work waiting for a worker: a bounded FIFO that Runs fill one
// call at a time and that senders empty as many calls at a time as their
// workers have room for, under one lock, rather than a channel receive per
// call contending with every send.
//
// Waiting goes through two channels that hold at most one token each: ready
// while calls may be waiting, room while there may be room. A token can be
// stale, so whoever wakes on one looks again; whoever leaves calls (or room)
// behind for others passes a token on.
//
// A queue that may hold chunks also bounds the calls it holds, a chunk
// counting for as many as it has room for: so it holds no more work in
// chunks than in single calls, and the chunks in use stay few enough to be
// used again (see chunk) rather than each take fresh memory.
type queue struct {
	mu       sync.Mutex
	buf      []*item // a ring of n items from head
	head     int
	n        int
	calls    int  // the room of the items queued (see weight), if chunks
	maxCalls int  // the most calls, if chunks
	chunks   bool // items may be chunks, which are sealed when taken
	ready    chan struct{}
	room     chan struct{}
}

// newQueue returns a queue of capacity items and, if calls > 0, of chunks
// with at most that many calls between them.
func newQueue(capacity, calls int) *queue {
	return &queue{buf: make([]*item, capacity), maxCalls: calls, chunks: calls > 0,
		ready: make(chan struct{}, 1), room: make(chan struct{}, 1)}
}

// weight is how many calls it counts for in the queue: a chunk's room, not
// its count, which grows while it waits.
func weight(it *item) int {
	if it.chunk == nil {
		return 1
	}
	return len(it.chunk.room)
}

// full reports whether a push may have been refused: whether there was no
// room for a chunk as large as they come.
func (q *queue) full() bool {
	return q.n == len(q.buf) || q.chunks && q.calls+maxChunk > q.maxCalls
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// tryPush adds it at the back unless the queue is full.
func (q *queue) tryPush(it *item) bool {
	w := 0 // calls are counted only where they may come in chunks
	if q.chunks {
		w = weight(it)
	}
	q.mu.Lock()
	if q.n == len(q.buf) || q.n > 0 && q.calls+w > q.maxCalls {
		q.mu.Unlock()
		return false
	}
	q.buf[(q.head+q.n)%len(q.buf)] = it
	q.n++
	q.calls += w
	first, roomLeft := q.n == 1, !q.full()
	q.mu.Unlock()
	if first {
		signal(q.ready)
	}
	if roomLeft && len(q.room) == 0 {
		// Another pusher may wait for the room this one was woken for.
		signal(q.room)
	}
	return true
}

// waiting returns how many calls are queued: a chunk counts for its room.
func (q *queue) waiting() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.chunks {
		return q.calls
	}
	return q.n
}

// take appends items from the front to dst, as many as carry at most
// limit calls between them (see item.count).
func (q *queue) take(dst []*item, limit int) []*item { return q.pop(dst, limit, false) }

// takeOne returns the item at the front, or nil if there is none.
func (q *queue) takeOne() *item {
	var one [1]*item
	if got := q.pop(one[:0], 1, true); len(got) == 1 {
		return got[0]
	}
	return nil
}

// pop is take, which with one takes the front item alone, whatever it
// carries: without reading it, under the lock, where a taker that runs it
// at once would only move the cost of fetching it from another core (a
// chunk is read, to seal it, only in a pool that makes chunks). A chunk
// looked at is sealed, taken or not: it stays as it is.
func (q *queue) pop(dst []*item, limit int, one bool) []*item {
	if limit <= 0 {
		return dst
	}
	q.mu.Lock()
	wasFull := q.full()
	k := 0
	for k < q.n && limit > 0 {
		it := q.buf[q.head]
		if q.chunks && it.chunk != nil {
			it.chunk.seal() // Run adds no more calls to it
		}
		calls := 1
		if !one {
			if calls = it.count(); calls > limit {
				break
			}
		}
		if q.chunks {
			q.calls -= weight(it)
		}
		limit -= calls
		dst = append(dst, it)
		q.buf[q.head] = nil
		q.head = (q.head + 1) % len(q.buf)
		k++
	}
	q.n -= k
	left := q.n > 0
	q.mu.Unlock()
	if wasFull && k > 0 {
		signal(q.room)
	}
	if left && len(q.ready) == 0 {
		signal(q.ready) // for another taker
	}
	return dst
}

// len returns how many items wait.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}
