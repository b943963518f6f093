package nats

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/brinehq/brine/pkg/cond"
)

// Objects hands out conds and barriers kept in a JetStream key-value
// bucket of the run (cond.Objects), for the tasks of workers on any
// machine and for the coordinator (Transport.Objects). Each object is one
// key whose value is its whole state; every change is a compare-and-set
// on the key's revision, so a lost message loses no notification, and
// waiters watch the bucket. A worker that ends breaks the barriers it
// waits at and frees the lock it held (Transport, when the worker ends).
type Objects struct {
	owner string // whose tickets this handle's are: a member, or the coordinator
	next  atomic.Uint64

	mu      sync.Mutex
	kv      jetstream.KeyValue // nil until bound
	bound   chan struct{}      // closed once kv is set
	states  map[string]entry   // the latest known state of each key
	changed chan struct{}      // closed and replaced at every change
	stop    context.CancelFunc
	watch   sync.WaitGroup
}

var _ cond.Objects = (*Objects)(nil)

// entry is a key's state at a revision.
type entry struct {
	s   state
	rev uint64
}

// state is a cond's or a barrier's, as stored.
type state struct {
	Barrier bool `json:"barrier,omitempty"`
	// The lock and the cond: tickets are "owner/n".
	Holder    string   `json:"holder,omitempty"`
	OwnerDied bool     `json:"owner_died,omitempty"`
	Waiters   []string `json:"waiters,omitempty"` // oldest first
	Woken     []string `json:"woken,omitempty"`   // notified, not yet back under the lock
	// The barrier.
	Parties    int      `json:"parties,omitempty"`
	Gen        uint64   `json:"gen,omitempty"`
	Arrived    []string `json:"arrived,omitempty"`
	Broken     bool     `json:"broken,omitempty"`
	DiedPID    int      `json:"died_pid,omitempty"`
	DiedStatus string   `json:"died_status,omitempty"`
	BrokenGens []uint64 `json:"broken_gens,omitempty"` // the last generations that ended broken
}

// maxBrokenGens bounds state.BrokenGens.
const maxBrokenGens = 64

func bucketName(r run) string { return "BRINE_" + r.id + "_objects" }

// newObjects returns objects bound to a bucket later.
func newObjects() *Objects {
	return &Objects{bound: make(chan struct{}), states: map[string]entry{}, changed: make(chan struct{})}
}

// openBucket opens the run's bucket of conds and barriers.
func openBucket(js jetstream.JetStream, r run) (jetstream.KeyValue, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*callTimeout)
	defer cancel()
	kv, err := js.KeyValue(ctx, bucketName(r))
	if err != nil {
		return nil, fmt.Errorf("nats: the run's conds and barriers: %w", err)
	}
	return kv, nil
}

// bind has the objects use kv, their tickets named for owner, and starts
// watching kv's keys.
func (o *Objects) bind(kv jetstream.KeyValue, owner string) error {
	o.owner = owner
	ctx, cancel := context.WithCancel(context.Background())
	w, err := kv.WatchAll(ctx)
	if err != nil {
		cancel()
		return fmt.Errorf("nats: watching the conds and barriers: %w", err)
	}
	o.mu.Lock()
	o.kv, o.stop = kv, cancel
	o.mu.Unlock()
	close(o.bound)
	o.watch.Go(func() { // ends with stop
		for e := range w.Updates() {
			if e != nil && e.Operation() == jetstream.KeyValuePut {
				var s state
				if json.Unmarshal(e.Value(), &s) == nil {
					o.learn(e.Key(), s, e.Revision())
				}
			}
		}
	})
	return nil
}

// Close stops watching. It is idempotent.
func (o *Objects) Close() {
	o.mu.Lock()
	stop := o.stop
	o.stop = nil
	o.mu.Unlock()
	if stop != nil {
		stop()
		o.watch.Wait()
	}
}

// learn keeps s as key's state if rev is newer than the one known.
func (o *Objects) learn(key string, s state, rev uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if e, ok := o.states[key]; ok && e.rev >= rev {
		return
	}
	o.states[key] = entry{s: s, rev: rev}
	close(o.changed)
	o.changed = make(chan struct{})
}

// latest returns key's latest known state and a channel closed when it
// changes.
func (o *Objects) latest(key string) (entry, bool, <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, ok := o.states[key]
	return e, ok, o.changed
}

func (o *Objects) store(ctx context.Context) (jetstream.KeyValue, error) {
	select {
	case <-o.bound:
		return o.kv, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (o *Objects) ticket() string { return o.owner + "/" + strconv.FormatUint(o.next.Add(1), 10) }

// errUnchanged, returned by a change, leaves the state as it is.
var errUnchanged = errors.New("unchanged")

// update applies change to key's state with a compare-and-set, again on
// the newest state until one succeeds, and returns the state it made. A
// change that returns an error stores nothing; errUnchanged then makes
// update return the state and nil.
func (o *Objects) update(ctx context.Context, key string, change func(*state) error) (state, error) {
	kv, err := o.store(ctx)
	if err != nil {
		return state{}, err
	}
	e, ok, _ := o.latest(key)
	for {
		if !ok {
			if e, err = o.get(ctx, kv, key); err != nil {
				return state{}, err
			}
		}
		s := e.s.clone()
		if err := change(&s); errors.Is(err, errUnchanged) {
			return s, nil
		} else if err != nil {
			return s, err
		}
		data, _ := json.Marshal(s)
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		rev, err := kv.Update(cctx, key, data, e.rev)
		cancel()
		if err == nil {
			o.learn(key, s, rev)
			return s, nil
		}
		if ctx.Err() != nil {
			return s, ctx.Err()
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			time.Sleep(retryPause) // the server failed, not the race
		}
		ok = false // read it again
	}
}

func (o *Objects) get(ctx context.Context, kv jetstream.KeyValue, key string) (entry, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	v, err := kv.Get(cctx, key)
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return entry{}, fmt.Errorf("nats: no cond or barrier %s", key)
		}
		return entry{}, err
	}
	var s state
	if err := json.Unmarshal(v.Value(), &s); err != nil {
		return entry{}, fmt.Errorf("nats: the state of %s: %w", key, err)
	}
	o.learn(key, s, v.Revision())
	return entry{s: s, rev: v.Revision()}, nil
}

// await waits until done reports true of key's latest state, or ctx ends.
func (o *Objects) await(ctx context.Context, key string, done func(state) bool) (state, error) {
	for {
		e, ok, changed := o.latest(key)
		if ok && done(e.s) {
			return e.s, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return e.s, ctx.Err()
		}
	}
}

// create makes key with s unless it exists; it returns the state stored.
func (o *Objects) create(key string, s state) (state, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*callTimeout)
	defer cancel()
	kv, err := o.store(ctx)
	if err != nil {
		return state{}, fmt.Errorf("nats: this worker has not joined a run: %w", err)
	}
	data, _ := json.Marshal(s)
	rev, err := kv.Create(ctx, key, data)
	if err == nil {
		o.learn(key, s, rev)
		return s, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return state{}, fmt.Errorf("nats: creating %s: %w", key, err)
	}
	e, err := o.get(ctx, kv, key)
	return e.s, err
}

// Cond returns the condition variable called name, creating it on first
// use.
func (o *Objects) Cond(name string) (cond.Cond, error) {
	key := "cond." + hex.EncodeToString([]byte(name))
	s, err := o.create(key, state{})
	if err != nil {
		return nil, err
	}
	if s.Barrier {
		return nil, fmt.Errorf("nats: %q is a barrier", name)
	}
	return &natsCond{o: o, key: key}, nil
}

// Barrier returns the barrier called name for parties parties, creating
// it on first use; asking again with another count fails.
func (o *Objects) Barrier(name string, parties int) (cond.Barrier, error) {
	if parties < 1 {
		return nil, fmt.Errorf("cond: barrier %q needs at least one party, not %d", name, parties)
	}
	key := "barrier." + hex.EncodeToString([]byte(name))
	s, err := o.create(key, state{Barrier: true, Parties: parties})
	if err != nil {
		return nil, err
	}
	if s.Parties != parties {
		return nil, fmt.Errorf("cond: barrier %q has %d parties, not %d", name, s.Parties, parties)
	}
	return &natsBarrier{o: o, key: key, parties: parties}, nil
}

// partyGone breaks the barriers where owner's tickets wait, frees the
// lock it held and drops its cond waiters: owner's process ended, with
// pid and status.
func (o *Objects) partyGone(owner string, pid int, status string) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*callTimeout)
	defer cancel()
	kv, err := o.store(ctx)
	if err != nil {
		return
	}
	keys, err := kv.Keys(ctx)
	if err != nil {
		return
	}
	mine := func(t string) bool { return len(t) > len(owner) && t[:len(owner)+1] == owner+"/" }
	for _, key := range keys {
		o.update(ctx, key, func(s *state) error {
			changed := false
			if slices.ContainsFunc(s.Arrived, mine) && !s.Broken {
				s.Broken, s.DiedPID, s.DiedStatus, changed = true, pid, status, true
			}
			if mine(s.Holder) {
				s.Holder, s.OwnerDied, changed = "", true, true
			}
			if n := len(s.Waiters) + len(s.Woken); n > 0 {
				s.Waiters = slices.DeleteFunc(s.Waiters, mine)
				s.Woken = slices.DeleteFunc(s.Woken, mine)
				changed = changed || len(s.Waiters)+len(s.Woken) != n
			}
			if !changed {
				return errUnchanged
			}
			return nil
		})
	}
}

func (s state) clone() state {
	s.Waiters = slices.Clone(s.Waiters)
	s.Woken = slices.Clone(s.Woken)
	s.Arrived = slices.Clone(s.Arrived)
	s.BrokenGens = slices.Clone(s.BrokenGens)
	return s
}
