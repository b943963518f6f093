package observe

import (
	"sync"
	"time"

	"github.com/brinehq/brine/pkg/pool"
)

// StatusOK is the status of a task that succeeded; a failed task's status
// is its pool.TaskError's Kind, or "error" for any other error.
const StatusOK = "ok"

// Source is what a run's workers and serialization are read from while it
// goes on: a *pool.Pool.
type Source interface {
	Workers() []pool.WorkerInfo
	Stats() pool.Stats
}

// Observer says what to make of the runs it watches. Either field may be
// nil; an Observer with neither watches nothing, at no cost but a call.
type Observer struct {
	Metrics *Metrics // counted as results arrive
	Trace   *Trace   // every task's span, for a trace file or a timeline
	// Poll is how often a run's Source is read for its workers' restarts
	// and its bytes. 0 means every 10ms with a Trace, whose marks of a
	// replaced worker are placed when a reading saw it, and every 100ms
	// without. The last reading is taken by End.
	Poll time.Duration
}

// Start begins watching a run in mode on workers read from src, which
// may be nil for a run with no pool (the serial baseline, one worker in
// this process). What src had done before Start (a warm-up) is left out
// of the counts. The caller must call End once the run's results are all
// in.
func (o *Observer) Start(mode string, src Source) *Run {
	r := &Run{src: src, quit: make(chan struct{})}
	if o.Metrics != nil {
		r.metrics = o.Metrics.forRun(mode)
	}
	if o.Trace != nil {
		r.trace = o.Trace.startRun(mode)
	}
	if src == nil {
		r.setWorkers(1)
		return r
	}
	r.last = src.Stats()
	r.pids = map[int]int{}
	r.restarts = map[int]int{}
	for _, w := range src.Workers() {
		r.pids[w.ID], r.restarts[w.ID] = w.PID, w.Restarts
	}
	r.setWorkers(len(r.pids))
	every := o.Poll
	switch {
	case every > 0:
	case o.Trace != nil:
		every = 10 * time.Millisecond
	default:
		every = 100 * time.Millisecond
	}
	r.wg.Go(func() { r.watch(every) })
	return r
}

// Run is one run being watched. Observe may be called from any goroutine.
type Run struct {
	metrics *runMetrics
	trace   *traceRun
	src     Source
	quit    chan struct{}
	wg      sync.WaitGroup
	endOnce sync.Once

	mu       sync.Mutex  // guards the fields below, the poller's
	last     pool.Stats  // at the last poll
	pids     map[int]int // by slot: the pid at the last poll
	restarts map[int]int // by slot: Restarts at the last poll
}

// Observe takes one result of the run, its Index the task's id.
func (r *Run) Observe(res pool.Result) {
	status := Status(res.Err)
	if r.metrics != nil {
		r.metrics.task(status, res.Compute, res.Attempts)
	}
	if r.trace != nil {
		r.trace.task(res, status)
	}
}

// Status is the status of a result whose error is err: StatusOK, the
// kind of a *pool.TaskError, or "error".
func Status(err error) string {
	if err == nil {
		return StatusOK
	}
	if te, ok := err.(*pool.TaskError); ok && te.Kind != "" {
		return te.Kind
	}
	return "error"
}

// End stops watching the run, after one last reading of its source: the
// workers gauge falls to 0. End is idempotent, and returns once the
// goroutine Start began has ended.
func (r *Run) End() {
	r.endOnce.Do(func() {
		close(r.quit)
		r.wg.Wait()
		if r.src != nil {
			r.poll()
		}
		r.setWorkers(0)
		if r.trace != nil {
			var st pool.Stats
			if r.src != nil {
				st = r.src.Stats()
			}
			r.trace.end(st)
		}
	})
}

func (r *Run) setWorkers(n int) {
	if r.metrics != nil {
		r.metrics.workers.Set(float64(n))
	}
	if r.trace != nil && n > 0 {
		r.trace.workers = n
	}
}

func (r *Run) watch(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-r.quit:
			return
		case <-t.C:
			r.poll()
		}
	}
}

// poll reads the source: the bytes sent and received since the last poll,
// and the workers replaced, whose new pid the trace marks.
func (r *Run) poll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.src.Stats()
	ws := r.src.Workers()
	if m := r.metrics; m != nil {
		m.sent.Add(float64(max(st.TaskBytes-r.last.TaskBytes, 0)))
		m.received.Add(float64(max(st.ResultBytes-r.last.ResultBytes, 0)))
		m.workers.Set(float64(len(ws)))
	}
	r.last = st
	for _, w := range ws {
		n := w.Restarts - r.restarts[w.ID]
		if n > 0 && r.metrics != nil {
			r.metrics.restarts.Add(float64(n))
		}
		if old, seen := r.pids[w.ID]; seen && old != w.PID && r.trace != nil {
			r.trace.restarted(w.ID, old, w.PID)
		}
		r.pids[w.ID], r.restarts[w.ID] = w.PID, w.Restarts
	}
}
