package pool

import (
	"context"
	"fmt"

	"github.com/brinehq/brine/pkg/transport"
)

// Queue mode. A transport whose workers can share one queue
// (transport.Queuer, such as a broker's work queue) gets the pool's tasks
// through it: the pool opens the queue once its workers have started,
// and runs it as one more proc, in a slot of its own that Workers does
// not list, whose window is all its workers' and whose results each name
// the worker that sent them (transport.Origin); it sends short tasks in
// messages of a worker's window, whole while more wait (shortOfMessage).
// The workers' own procs then take no tasks; they are started, watched
// and replaced as ever, and their own channels carry what is meant for
// one of them. A worker that dies leaves its tasks to the queue, which
// delivers them again to another, so a result's attempts count the
// queue's deliveries too.
//
// Without it a task timeout could not be charged to the worker that runs
// the task, nor could recycling count what each worker was sent, and lone
// calls are not lent a worker's reading: a pool with any of these sends
// each worker its own tasks.

// mayQueue reports whether the pool may send its tasks through a
// transport's shared queue: not with a task timeout or recycling, which
// need to know what each worker holds.
func (o *Options) mayQueue() bool { return o.TaskTimeout == 0 && o.MaxTasksPerWorker == 0 }

// allSlots returns the workers' slots and, in queue mode, the queue's.
func (b *processes) allSlots() []*slot {
	if b.queue == nil {
		return b.slots
	}
	return append(b.slots[:len(b.slots):len(b.slots)], b.queue)
}

// openQueue opens the transport's shared queue as the proc of s, the
// queue's slot. A frame of tasks may be delivered Retries+1 times, and
// twice at least: a worker that dies holding a frame does not say which of
// its tasks killed it, so each gets another delivery (as Retries says).
func (b *processes) openQueue(ctx context.Context, s *slot) (*proc, error) {
	conn, err := b.tr.(transport.Queuer).Queue(ctx, transport.QueueSpec{
		Spec:       b.spec(s),
		Deliveries: max(b.p.opts.Retries+1, 2),
	})
	if err != nil {
		return nil, err
	}
	src, ok := conn.(transport.Sourced)
	if !ok {
		conn.Kill("it does not say where its results come from")
		conn.Wait()
		conn.Close()
		return nil, fmt.Errorf("pool: the shared queue of %s does not say where its results come from", b.tr)
	}
	w := newProc(b, s, conn)
	w.src, w.spread = src, int64(len(b.slots))
	return w, nil
}

// credit counts n tasks finished by the worker a frame of the queue came
// from: in its slot's count, and in its process's, which tells a worker
// that does its work from one that dies at once (the supervisor's backoff,
// crashLoop).
func (b *processes) credit(from transport.Origin, n int) {
	if from.Lost != "" || from.Worker < 0 || from.Worker >= len(b.slots) {
		return
	}
	s := b.slots[from.Worker]
	s.tasks.Add(int64(n))
	s.mu.Lock()
	if s.cur != nil {
		s.cur.completed.Add(int64(n))
	}
	s.mu.Unlock()
}

// killWorkers kills every worker for reason, as the shared queue is
// killed: any of them may hold its tasks.
func (b *processes) killWorkers(reason string, blameless bool) {
	for _, s := range b.slots {
		s.mu.Lock()
		for _, w := range s.procs {
			w.stopFor(w.conn.Kill, reason, blameless)
		}
		s.mu.Unlock()
	}
}
