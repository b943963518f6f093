package worker

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brinehq/brine/internal/spin"
	"github.com/brinehq/brine/pkg/wire"
)

// Cancellation (docs/PROTOCOL.md §5.2). The coordinator names, in a Cancel
// message, tasks whose run has ended: the worker answers those it has yet
// to run as cancelled, without running them, and cancels the context of
// the one it runs. A Cancel comes behind the frames of the tasks it names,
// and the worker runs a frame's tasks on the goroutine that reads its
// input, so while it runs them a watcher reads on for it: every
// watchEvery, as long as a task runs, the watcher takes the input over,
// reads the frames waiting there, applies the Cancels among them at once,
// and queues the others (early) for the loop, in order.

// watchEvery is how often the watcher looks at the input while a frame's
// tasks run.
const watchEvery = time.Millisecond

// maxSpans bounds the spans of cancelled tasks a worker remembers: the
// newest are kept.
const maxSpans = 64

// Who reads the input (server.reading).
const (
	readLoop  int32 = iota // run's loop, between tasks
	readTask               // nobody: a task runs, and the watcher may read
	readWatch              // the watcher
)

// watcher is the state the run loop shares with the watcher of its input.
type watcher struct {
	reading atomic.Int32 // readLoop, readTask or readWatch
	framing atomic.Bool  // a frame's tasks run: the watcher looks again
	armed   atomic.Bool  // timer is set, or its watch runs
	stall   atomic.Bool  // the watcher found one task running at two looks
	timer   *time.Timer
	runs    sync.WaitGroup // watch calls the timer is set to start, for Serve to await

	// The rest passes between the loop and the watcher with the input,
	// through reading.
	r       *wire.Reader
	inFD    int
	early   []earlyFrame    // frames the watcher read, for the loop
	spans   []wire.Span     // tasks cancelled
	running uint64          // the id of the task that runs
	seen    uint64          // the task that ran at the watcher's last look; the watcher's own
	looked  bool            // seen is set
	ctx     context.Context // the context of the task that runs
	cancel  context.CancelCauseFunc
	hit     bool // a Cancel cancelled ctx: the next task gets a new one
}

// earlyFrame is a frame the watcher read ahead of the loop, or why it
// could read no more.
type earlyFrame struct {
	body []byte
	err  error
}

// errCancelled is the cause of a task context that a Cancel ended.
var errCancelled = errors.New("worker: the coordinator cancelled the task's run")

func (wt *watcher) start(ctx context.Context, r *wire.Reader, inFD int) {
	wt.r, wt.inFD = r, inFD
	wt.ctx, wt.cancel = context.WithCancelCause(ctx)
	wt.timer = time.AfterFunc(time.Hour, wt.watch)
	wt.timer.Stop()
}

// stop stops the watcher, once the loop no longer runs tasks.
func (wt *watcher) stop() {
	wt.framing.Store(false)
	if wt.timer.Stop() {
		wt.runs.Done() // it will not run
	}
	wt.runs.Wait()
	wt.cancel(nil)
}

// beginFrame has the watcher look at the input within watchEvery, and then
// every watchEvery for as long as frames' tasks run. The timer is set once
// for a stream of frames, not once a frame: a frame of one short task
// costs a few atomic operations.
func (wt *watcher) beginFrame() {
	wt.framing.Store(true)
	if wt.armed.CompareAndSwap(false, true) {
		wt.runs.Add(1)
		wt.timer.Reset(watchEvery)
	}
}

// stalled reports whether the watcher has found, since the last call, a
// task that ran through two of its looks, a millisecond or more: the one
// that just ended, or the one that runs.
func (wt *watcher) stalled() bool {
	if !wt.stall.Load() {
		return false
	}
	wt.stall.Store(false)
	return true
}

// endFrame tells the watcher that the loop's tasks are done for now.
func (wt *watcher) endFrame() { wt.framing.Store(false) }

// taskContext returns the context to run task id in, which a Cancel naming
// it cancels, and lends the input to the watcher until taskDone.
func (wt *watcher) taskContext(parent context.Context, id uint64) context.Context {
	if wt.hit { // a Cancel ended the last task's
		wt.ctx, wt.cancel = context.WithCancelCause(parent)
		wt.hit = false
	}
	wt.running = id
	wt.reading.Store(readTask)
	return wt.ctx
}

// taskDone takes the input back from the watcher, waiting for it to end a
// read under way.
func (wt *watcher) taskDone() {
	for !wt.reading.CompareAndSwap(readTask, readLoop) {
		runtime.Gosched() // the watcher is reading whole frames that are there
	}
}

// takeOver takes the input over from the loop while a task runs, and with
// it the results the loop has pending (see server.flushStale); it reports
// false when the loop holds them, between tasks, or someone else does.
func (wt *watcher) takeOver() bool { return wt.reading.CompareAndSwap(readTask, readWatch) }

// handBack gives back what takeOver took, to the task that runs.
func (wt *watcher) handBack() { wt.reading.Store(readTask) }

// stoppedByCancel reports whether ctx, a task's, was cancelled by a Cancel
// naming the task.
func stoppedByCancel(ctx context.Context) bool { return context.Cause(ctx) == errCancelled }

// watch reads, while a task runs, the frames waiting on the input, and
// looks again in watchEvery while frames' tasks run.
func (wt *watcher) watch() {
	defer wt.runs.Done()
	if wt.takeOver() {
		if wt.looked && wt.seen == wt.running {
			wt.stall.Store(true)
		}
		wt.seen, wt.looked = wt.running, true
		wt.readWaiting()
		wt.handBack()
	}
	// Disarmed before framing is read, so that a frame begun meanwhile
	// either is seen here or arms the timer itself.
	wt.armed.Store(false)
	if wt.framing.Load() && wt.armed.CompareAndSwap(false, true) {
		wt.runs.Add(1)
		wt.timer.Reset(watchEvery)
	}
}

// readWaiting reads the frames on the input until none is there: Cancels
// it applies, the others it queues. A frame begun is read whole, which the
// coordinator writes at once.
func (wt *watcher) readWaiting() {
	for len(wt.early) == 0 || wt.early[len(wt.early)-1].err == nil {
		if !wt.r.Ready() && (wt.inFD < 0 || !spin.Ready(wt.inFD)) {
			return
		}
		body, err := wt.r.NextInto(nil)
		if err == nil {
			if typ, _ := wire.PeekType(body); typ == wire.TypeCancel {
				err = wt.apply(body)
				if err == nil {
					continue
				}
			}
		}
		wt.early = append(wt.early, earlyFrame{body: body, err: err})
	}
}

// next returns the next frame for the loop: one the watcher read, or the
// next on the input, read into keep.
func (wt *watcher) next(keep []byte) ([]byte, error) {
	if len(wt.early) > 0 {
		f := wt.early[0]
		wt.early[0] = earlyFrame{}
		wt.early = wt.early[1:]
		return f.body, f.err
	}
	return wt.r.NextInto(keep)
}

// ready reports whether the next frame has begun to arrive.
func (wt *watcher) ready() bool { return len(wt.early) > 0 || wt.r.Ready() }

// apply records the tasks a Cancel body names, and cancels the running
// task's context if it is one of them. It is called by whoever reads the
// input.
func (wt *watcher) apply(body []byte) error {
	spans, err := wire.DecodeCancel(body, wt.spans)
	if err != nil {
		return err
	}
	if len(spans) > maxSpans {
		spans = append(spans[:0], spans[len(spans)-maxSpans:]...)
	}
	wt.spans = spans
	if wt.reading.Load() == readWatch && wt.cancelled(wt.running) {
		wt.cancel(errCancelled)
		wt.hit = true
	}
	return nil
}

// cancelled reports whether a Cancel named task id.
func (wt *watcher) cancelled(id uint64) bool {
	for _, s := range wt.spans {
		if s.Has(id) {
			return true
		}
	}
	return false
}

// skipped appends the result of task id, which a Cancel named before it
// ran, to b.
func skipped(b []byte, id uint64) []byte {
	b = wire.AppendResultHead(b, id)
	return wire.AppendResultTail(b, &wire.Error{Kind: wire.KindCancelled,
		Message: "not run: its run was cancelled before it started"}, 0)
}
