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
type queue struct {
	mu    sync.Mutex
	buf   []*item // a ring of n items from head
	head  int
	n     int
	ready chan struct{}
	room  chan struct{}
}

func newQueue(capacity int) *queue {
	return &queue{buf: make([]*item, capacity), ready: make(chan struct{}, 1), room: make(chan struct{}, 1)}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// tryPush adds it at the back unless the queue is full.
func (q *queue) tryPush(it *item) bool {
	q.mu.Lock()
	if q.n == len(q.buf) {
		q.mu.Unlock()
		return false
	}
	q.buf[(q.head+q.n)%len(q.buf)] = it
	q.n++
	first, roomLeft := q.n == 1, q.n < len(q.buf)
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

// take appends up to limit items from the front to dst.
func (q *queue) take(dst []*item, limit int) []*item {
	if limit <= 0 {
		return dst
	}
	q.mu.Lock()
	wasFull := q.n == len(q.buf)
	k := min(limit, q.n)
	for range k {
		dst = append(dst, q.buf[q.head])
		q.buf[q.head] = nil
		q.head = (q.head + 1) % len(q.buf)
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

// takeOne returns the item at the front, or nil if there is none.
func (q *queue) takeOne() *item {
	var one [1]*item
	if got := q.take(one[:0], 1); len(got) == 1 {
		return got[0]
	}
	return nil
}

// len returns how many items wait.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}
