package observe

import (
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brinehq/brine/pkg/cond"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/wire"
)

// MaxSpans is how many task spans a Trace keeps, some 50 MB of memory and
// 150 MB of trace file: the tasks after them are counted, not drawn, and
// the file says how many were left out.
const MaxSpans = 1 << 20

// Trace records the spans of every task of the runs it watches, on one
// clock, for WriteTo (a Chrome trace-event file) and WriteTimeline. It is
// safe for concurrent use. Its zero value is not usable: call NewTrace.
type Trace struct {
	origin     time.Time // time 0 of the trace
	originMono int64     // cond.Now() at origin, for times taken by workers
	pid        int       // this process's
	max        int64
	spans      atomic.Int64 // spans recorded or left out
	dropped    atomic.Int64

	mu       sync.Mutex // guards runs and barriers
	runs     []*traceRun
	barriers []barrierRounds
}

// NewTrace returns a Trace whose time 0 is now.
func NewTrace() *Trace {
	return &Trace{origin: time.Now(), originMono: cond.Now(), pid: os.Getpid(), max: MaxSpans}
}

// Dropped returns how many task spans were left out, past MaxSpans.
func (t *Trace) Dropped() int64 { return t.dropped.Load() }

// traceRun is one run's part of a trace.
type traceRun struct {
	t           *Trace
	index       int
	mode        string
	start, stop time.Duration // since the trace's origin
	workers     int
	stats       pool.Stats // at the run's end
	shards      [spanShards]spanShard

	mu       sync.Mutex // guards the fields below
	instants []instant
	died     map[int]bool // pids whose death is marked
	statuses []string     // the statuses of spans, by span.status
}

// statusIndex returns status's index in the run's statuses, adding it.
// There are a few kinds of failure; past 255 of them the last stands for
// the rest.
func (r *traceRun) statusIndex(status string) uint8 {
	if status == StatusOK {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if i := slices.Index(r.statuses, status); i >= 0 {
		return uint8(i)
	}
	if len(r.statuses) < 256 {
		r.statuses = append(r.statuses, status)
	}
	return uint8(len(r.statuses) - 1)
}

// spanShards is a power of two: results arrive on a goroutine per worker,
// and a shard each keeps them from contending for one lock.
const spanShards = 16

// spanShard keeps spans in blocks of spanBlock: a block is never copied
// as the spans grow, and holds no pointer for the garbage collector to
// scan.
type spanShard struct {
	mu     sync.Mutex
	blocks [][]span
	_      [64]byte
}

const spanBlock = 4096

func (sh *spanShard) add(s span) {
	sh.mu.Lock()
	n := len(sh.blocks)
	if n == 0 || len(sh.blocks[n-1]) == spanBlock {
		sh.blocks = append(sh.blocks, make([]span, 0, spanBlock))
		n++
	}
	sh.blocks[n-1] = append(sh.blocks[n-1], s)
	sh.mu.Unlock()
}

// span is one task on its worker's lane.
type span struct {
	start, dur time.Duration // since the trace's origin
	task       int
	worker     int32
	pid        int32
	attempts   int32
	status     uint8 // in the run's statuses; 0 is StatusOK
}

// instant is a point event: a worker's death or replacement.
type instant struct {
	at          time.Duration
	name        string
	worker, pid int
	detail      string
}

func (t *Trace) startRun(mode string) *traceRun {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := &traceRun{t: t, index: len(t.runs), mode: mode, start: time.Since(t.origin), died: map[int]bool{}, statuses: []string{StatusOK}}
	t.runs = append(t.runs, r)
	return r
}

// task records res's span, ending now.
func (r *traceRun) task(res pool.Result, status string) {
	if r.t.spans.Add(1) > r.t.max {
		r.t.dropped.Add(1)
		return
	}
	end := time.Since(r.t.origin)
	s := span{start: max(end-res.Compute, r.start), task: res.Index, worker: int32(res.Worker),
		pid: int32(res.PID), attempts: int32(res.Attempts), status: r.statusIndex(status)}
	s.dur = end - s.start
	r.shards[res.Worker&(spanShards-1)].add(s)
	if status == wire.KindWorkerDied || status == wire.KindTimeout {
		if te, ok := res.Err.(*pool.TaskError); ok {
			r.mark(end, "worker died", te.Worker, te.PID, te.Kind+": "+te.Message)
		}
	}
}

// mark records an instant event, once per pid for a death.
func (r *traceRun) mark(at time.Duration, name string, worker, pid int, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if name == "worker died" {
		if r.died[pid] {
			return
		}
		r.died[pid] = true
	}
	r.instants = append(r.instants, instant{at: at, name: name, worker: worker, pid: pid, detail: detail})
}

// restarted marks slot worker's process replaced, as a poll saw it: the
// time is the poll's, once the replacement was up, so the old process may
// have ended some time before.
func (r *traceRun) restarted(worker, oldPID, newPID int) {
	at := time.Since(r.t.origin)
	r.mark(at, "worker exited", worker, oldPID, "replaced by pid "+itoa(newPID))
	r.mark(at, "worker started", worker, newPID, "replaces pid "+itoa(oldPID))
}

func (r *traceRun) end(st pool.Stats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stop = time.Since(r.t.origin)
	r.stats = st
}

// allSpans returns the run's spans sorted by lane, then start.
func (r *traceRun) allSpans() []span {
	n := 0
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		for _, b := range sh.blocks {
			n += len(b)
		}
		sh.mu.Unlock()
	}
	all := make([]span, 0, n)
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		for _, b := range sh.blocks {
			all = append(all, b...)
		}
		sh.mu.Unlock()
	}
	slices.SortFunc(all, func(a, b span) int {
		if c := r.laneOf(a).compare(r.laneOf(b)); c != 0 {
			return c
		}
		return int(a.start - b.start)
	})
	return all
}

// lane is where a span is drawn: a worker's process, or in a run whose
// workers are goroutines of this process, the worker's goroutine.
type lane struct {
	worker int
	pid    int // 0 for a goroutine of this process
}

func (a lane) compare(b lane) int {
	if a.worker != b.worker {
		return a.worker - b.worker
	}
	return a.pid - b.pid
}

func (r *traceRun) laneOf(s span) lane {
	if int(s.pid) == r.t.pid {
		return lane{worker: int(s.worker)}
	}
	return lane{worker: int(s.worker), pid: int(s.pid)}
}

// runs returns the trace's runs so far.
func (t *Trace) allRuns() []*traceRun {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.runs)
}

// barrierRounds are the releases of a barrier, on cond.Now's clock.
type barrierRounds struct {
	mode    string
	release []int64   // by round: when the releaser arrived
	wakes   [][]int64 // by waiter, by round: when it woke
}

// BarrierRounds records the releases of a barrier: release[r] is when the
// releaser arrived in round r, wakes[w][r] when waiter w woke from it, both
// read from cond.Now (CLOCK_MONOTONIC, the same in every process). Each
// waiter gets a lane with a span per round, from the release to its wake.
func (t *Trace) BarrierRounds(mode string, release []int64, wakes [][]int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.barriers = append(t.barriers, barrierRounds{mode: mode, release: slices.Clone(release), wakes: slices.Clone(wakes)})
}

// sinceOrigin converts a cond.Now reading to the trace's time.
func (t *Trace) sinceOrigin(mono int64) time.Duration { return time.Duration(mono - t.originMono) }
