package pool

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brinehq/brine/internal/prefault"
	"github.com/brinehq/brine/pkg/lane"
	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/wire"
)

// proc is the pool's side of one worker: the tasks in flight to it and the
// goroutines that feed it and read its results, over conn.
type proc struct {
	b     *processes
	slot  *slot
	conn  transport.Worker
	pid   int
	hello wire.Hello

	// Its shared-memory lanes for large payloads, if it has them (see
	// lanes.go): the sender writes down, the receiver reads up.
	down     *lane.Writer
	up       *lane.Reader
	argsSize int       // of the last call as encoded, 0 before the first; the sender's own
	rx       *receiver // the state of reading conn, set as the receiver starts

	// In queue mode (shared.go): member is set on a worker, which takes
	// its tasks from the queue and none from its sender; src on the
	// queue, which says where each frame of results comes from, from
	// the one the receiver delivers; spread is how many workers the
	// queue's window feeds (1 for a worker).
	member bool
	src    transport.Sourced
	from   transport.Origin
	spread int64

	mu        sync.Mutex
	inflight  flight
	found     []int     // claim's scratch: positions in inflight
	tracked   []*item   // encode's scratch: the tasks of the batch it encodes; the sender's own
	lastDone  time.Time // when a result last arrived
	timedOut  bool      // a task's timeout killed the worker
	expiredID uint64    // that task's id
	lend      lending   // who reads conn: its receiver, or a caller (lend.go)

	n         atomic.Int64 // len(inflight), read without the lock
	bytes     atomic.Int64 // encoded size of the tasks in flight
	avg       atomic.Int64 // moving average of task compute time, ns
	completed atomic.Int64 // tasks it answered
	sent      int          // tasks sent to it; the sender's own
	solo      bool         // it was last sent a suspect, alone; the sender's own
	retired   atomic.Bool  // it took its last task (MaxTasksPerWorker)
	wake      chan struct{}
	stop      chan struct{} // closed when it is to take no more tasks
	done      chan struct{} // closed when its output has ended
	stopOnce  sync.Once

	killMu    sync.Mutex
	killed    bool // the pool killed or terminated it
	blameless bool // and for no fault of the tasks it held
}

func newProc(b *processes, s *slot, conn transport.Worker) *proc {
	hello := conn.Hello()
	// Sorted, as docs/PROTOCOL.md §3 asks and lookups assume, whatever the
	// worker sent.
	hello.Funcs = slices.Sorted(slices.Values(hello.Funcs))
	w := &proc{b: b, slot: s, conn: conn, pid: conn.PID(), hello: hello, spread: 1,
		wake: make(chan struct{}, 1), lend: lending{wake: make(chan struct{}, 1)},
		stop: make(chan struct{}), done: make(chan struct{})}
	w.down, w.up = conn.Lanes()
	if b.p.chunks != nil { // see frameResults
		w.inflight.q = prefault.Slice[*item](shortFlight)
		w.found = prefault.Slice[int](frameResults)
	}
	return w
}

// spawn starts a worker for slot s through the pool's transport, or opens
// the shared queue for the queue's slot.
func (b *processes) spawn(ctx context.Context, s *slot) (*proc, error) {
	if s.queue {
		return b.openQueue(ctx, s)
	}
	conn, err := b.tr.Start(ctx, b.spec(s))
	if err != nil {
		return nil, err
	}
	w := newProc(b, s, conn)
	w.member = b.queued
	return w, nil
}

// spec is what the pool asks of the worker of slot s.
func (b *processes) spec(s *slot) transport.Spec {
	return transport.Spec{
		ID:               s.id,
		Env:              b.env,
		Shared:           b.p.region.File(),
		Logger:           b.p.opts.Logger,
		HandshakeTimeout: b.p.opts.HandshakeTimeout,
		FrameTimeout:     b.p.opts.FrameTimeout,
		Near:             func() bool { return b.flying.Load() <= nearFlight },
	}
}

// serve runs the sender, the receiver and, with a task timeout or
// warnings, the watchdog until the worker's output ends; then it waits for the worker to
// end and returns how it did.
func (w *proc) serve() *WorkerExitError {
	var g sync.WaitGroup
	g.Go(w.send)
	if o := &w.b.p.opts; (o.TaskTimeout > 0 || o.WarnAfter > 0) && w.src == nil {
		g.Go(w.watch)
	}
	// Output cut short by the pool's own kill (a timeout, a cancelled
	// run) is the kill's doing, not the worker's.
	if err := w.receive(); err != nil && !w.stopped() {
		w.b.p.opts.Logger.Error().Int("worker", w.slot.id).Int("pid", w.pid).Err(err).Msg("killing worker")
		w.killFor(fmt.Sprintf("it broke the protocol (%v)", err), false)
	}
	w.mu.Lock()
	w.setRx(rxReading) // nobody reads it any more
	w.mu.Unlock()
	w.halt()
	close(w.done)
	exit := w.end() // after which a sender blocked on its input fails
	g.Wait()
	w.conn.Close() // neither the sender nor the receiver uses it now
	return exit
}

// end waits for the worker to end and releases what it held of the pool's
// shared objects.
func (w *proc) end() *WorkerExitError {
	exit := w.conn.Wait()
	// Break the barriers it had joined and free a lock it held, so that the
	// workers waiting on them learn who died instead of waiting forever.
	if w.pid > 0 {
		if err := w.b.p.region.ProcessDied(w.pid, exit.Status); err != nil {
			w.b.p.opts.Logger.Warn().Int("pid", w.pid).Err(err).Msg("releasing the shared objects of a dead worker")
		}
	}
	return exit
}

func (w *proc) halt() { w.stopOnce.Do(func() { close(w.stop) }) }

// closeInput ends the worker's input: it finishes what it holds and exits.
func (w *proc) closeInput() {
	w.halt()
	w.conn.CloseInput()
}

// killFor kills the worker, for reason; blameless says the reason is no
// fault of the tasks it held. Only the first reason counts.
func (w *proc) killFor(reason string, blameless bool) {
	w.stopFor(w.conn.Kill, reason, blameless)
	if w.slot.queue {
		w.b.killWorkers(reason, blameless)
	}
}

// stopFor ends the worker with stop (Kill or Terminate), recording whether
// the pool's first reason to end it is blameless before the worker can be
// seen to end.
func (w *proc) stopFor(stop func(string), reason string, blameless bool) {
	w.killMu.Lock()
	defer w.killMu.Unlock()
	if !w.killed {
		w.killed, w.blameless = true, blameless
	}
	stop(reason)
}

// stopped reports whether the pool killed or terminated the worker.
func (w *proc) stopped() bool {
	w.killMu.Lock()
	defer w.killMu.Unlock()
	return w.killed
}

// verdict returns the id of the task whose timeout killed the worker and
// true, if one did, and whether its death is no fault of the tasks it held.
func (w *proc) verdict() (expired uint64, timedOut, blameless bool) {
	w.mu.Lock()
	expired, timedOut = w.expiredID, w.timedOut
	w.mu.Unlock()
	w.killMu.Lock()
	defer w.killMu.Unlock()
	return expired, timedOut, w.blameless
}

// holds reports whether the worker holds a task of rs.
func (w *proc) holds(rs *runState) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	held := false
	w.inflight.each(func(it *item) bool {
		held = it.run == rs
		return !held
	})
	return held
}

// takeInflight removes and returns every task the worker holds, a chunk
// as a single item for each of its calls that has no result.
func (w *proc) takeInflight() []*item {
	w.mu.Lock()
	defer w.mu.Unlock()
	its := w.inflight.takeAll()
	w.b.flying.Add(-w.n.Swap(0))
	w.bytes.Store(0)
	for i := 0; i < len(its); i++ {
		if it := its[i]; it.isChunk() {
			parts := it.split()
			its = slices.Replace(its, i, i+1, parts...)
			i += len(parts) - 1
		}
	}
	return its
}
