package pool

// flight is the set of tasks in flight to one worker, in the order they
// were sent. Results may come back in any order (docs/PROTOCOL.md), but a
// worker that runs its tasks one at a time answers them in order, so
// finding a result's task is, as a rule, a look at the slot after the last
// one found; an answer out of order leaves a hole that is dropped once it
// reaches the front. It replaces a map, whose hashing, inserts and deletes
// cost more than all the rest of a trivial task's bookkeeping.
type flight struct {
	q     []*item // from front on: sent and not yet answered, or nil holes
	front int
	live  int
}

func (f *flight) push(it *item) {
	f.q = append(f.q, it)
	f.live++
}

// find returns the position of the item of task id (a single task, or a
// chunk with that call), looking first at hint, or -1 if it is not in
// flight.
func (f *flight) find(id uint64, hint int) int {
	if hint >= f.front && hint < len(f.q) && f.q[hint] != nil && f.q[hint].has(id) {
		return hint
	}
	for i := f.front; i < len(f.q); i++ {
		if it := f.q[i]; it != nil && it.has(id) {
			return i
		}
	}
	return -1
}

// take removes and returns the task at position i, which find returned.
// Positions stay valid until settle.
func (f *flight) take(i int) *item {
	it := f.q[i]
	f.q[i] = nil
	f.live--
	return it
}

// put undoes take.
func (f *flight) put(i int, it *item) {
	f.q[i] = it
	f.live++
}

// settle drops the holes at the front and reclaims the space before it.
func (f *flight) settle() {
	for f.front < len(f.q) && f.q[f.front] == nil {
		f.front++
	}
	switch {
	case f.front == len(f.q):
		f.q, f.front = f.q[:0], 0
	case f.front >= 1024 && f.front > len(f.q)/2:
		n := copy(f.q, f.q[f.front:])
		clear(f.q[n:])
		f.q, f.front = f.q[:n], 0
	}
}

// first returns the oldest task in flight, or nil. Call settle first.
func (f *flight) first() *item {
	if f.front < len(f.q) {
		return f.q[f.front]
	}
	return nil
}

// each calls fn for every task in flight, oldest first, until it returns
// false.
func (f *flight) each(fn func(*item) bool) {
	for _, it := range f.q[f.front:] {
		if it != nil && !fn(it) {
			return
		}
	}
}

// takeAll empties the set and returns its tasks, oldest first.
func (f *flight) takeAll() []*item {
	its := make([]*item, 0, f.live)
	f.each(func(it *item) bool { its = append(its, it); return true })
	clear(f.q)
	f.q, f.front, f.live = f.q[:0], 0, 0
	return its
}
