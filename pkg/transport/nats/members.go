package nats

import "github.com/brinehq/brine/pkg/wire"

// members is what the transport knows of the workers that joined its run:
// every one by member name, so that the results of one that has ended
// still name it, which live, and the queue to tell when one ends. Its
// methods hold Transport.mu.
type members struct {
	all   map[string]*natsWorker
	live  map[string]*natsWorker
	hello *wire.Hello // the first one's
	queue *queue      // the shared queue, while it is open
}

// joined adds w, whose handshake is done.
func (t *Transport) joined(w *natsWorker) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ms.all == nil {
		t.ms.all, t.ms.live = map[string]*natsWorker{}, map[string]*natsWorker{}
	}
	t.ms.all[w.member], t.ms.live[w.member] = w, w
	if t.ms.hello == nil {
		t.ms.hello = &w.hello
	}
	if q := t.ms.queue; q != nil {
		t.tidying.Go(q.placePrivate) // frames waiting for a worker; outside t.mu
	}
}

// left notes that w has ended, and tells the queue.
func (t *Transport) left(w *natsWorker) {
	t.mu.Lock()
	delete(t.ms.live, w.member)
	q := t.ms.queue
	t.mu.Unlock()
	if q != nil {
		q.lostPrivate(w.member)
		q.signal()
	}
}

// openQueue returns the shared queue, or nil when none is open.
func (t *Transport) openQueue() *queue {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ms.queue
}

// anyWorker returns a live worker other than not, or nil.
func (t *Transport) anyWorker(not string) *natsWorker {
	t.mu.Lock()
	defer t.mu.Unlock()
	for m, w := range t.ms.live {
		if m != not {
			return w
		}
	}
	return nil
}

func (t *Transport) firstHello() (wire.Hello, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ms.hello == nil {
		return wire.Hello{}, false
	}
	return *t.ms.hello, true
}

func (t *Transport) setQueue(q *queue) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ms.queue = q
}

// worker returns the worker of member, live or ended.
func (t *Transport) worker(member string) (*natsWorker, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	w, ok := t.ms.all[member]
	return w, ok
}

func (t *Transport) liveWorkers() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.ms.live)
}

// eachWorker calls f on every live worker, outside the lock.
func (t *Transport) eachWorker(f func(*natsWorker)) {
	t.mu.Lock()
	ws := make([]*natsWorker, 0, len(t.ms.live))
	for _, w := range t.ms.live {
		ws = append(ws, w)
	}
	t.mu.Unlock()
	for _, w := range ws {
		f(w)
	}
}

// killMember kills the worker of member, if it lives, for reason.
func (t *Transport) killMember(member, reason string) {
	t.mu.Lock()
	w := t.ms.live[member]
	t.mu.Unlock()
	if w != nil {
		w.Kill(reason)
	}
}
