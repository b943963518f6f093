package coordinator

import (
	"iter"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/report"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

// collector gathers results as they arrive, from the pool's goroutines.
// It keeps every result only when a report needs them, in a part per
// segment of tasks (see runSegments) as the segment starts: its memory
// grows with the tasks run, not with those to come, and not at all when
// results are not kept. Tasks that never started are counted, and listed
// as ranges, not kept one by one.
type collector struct {
	keep bool
	// shards count results by worker: each worker's results arrive on one
	// goroutine, and counters of their own, on cache lines of their own,
	// keep those goroutines from contending for every result.
	shards  [countShards]counts
	notInts atomic.Bool // some output is not an integer
	// startFailed: the run's workers could not be started, so none of its
	// tasks ran.
	startFailed atomic.Bool

	// values: results come as Go values, not encoded (serial and thread
	// modes), and are kept as they are.
	values bool
	store  store // kept results, a part per segment

	mu         sync.Mutex // guards the fields below
	notStarted [][2]int   // first and last ids of tasks never started
	firstFail  *report.Result
}

// countShards is a power of two.
const countShards = 16

// counts are one shard's tallies.
type counts struct {
	done      atomic.Int64
	ok        atomic.Int64
	failed    atomic.Int64
	retries   atomic.Int64
	compute   atomic.Int64 // nanoseconds the tasks' functions ran
	decode    atomic.Int64 // nanoseconds spent decoding result values, estimated
	sum       atomic.Int64 // of integer outputs
	cancelled atomic.Int64 // of failed, those cancelled
	_         [128 - 8*8]byte
}

// totals are the sums of the shards' counts, with the tasks that never
// started counted as failed and cancelled.
type totals struct {
	done, ok, failed, retries, sum int64
	cancelled, notStarted          int64
	compute, decode                time.Duration
}

func (c *collector) totals() totals {
	var t totals
	for i := range c.shards {
		s := &c.shards[i]
		t.done += s.done.Load()
		t.ok += s.ok.Load()
		t.failed += s.failed.Load()
		t.retries += s.retries.Load()
		t.sum += s.sum.Load()
		t.cancelled += s.cancelled.Load()
		t.compute += time.Duration(s.compute.Load())
		t.decode += time.Duration(s.decode.Load())
	}
	c.mu.Lock()
	for _, r := range c.notStarted {
		t.notStarted += int64(r[1] - r[0] + 1)
	}
	c.mu.Unlock()
	t.failed += t.notStarted
	t.cancelled += t.notStarted
	return t
}

// decodeSample: the result values of one task in decodeSample (by index)
// have their decoding timed, standing for the others. Reading the clock
// twice per result cost as much as decoding a small value.
const decodeSample = 16

// newCollector returns a collector that keeps every result if keep says
// so, and otherwise only counts them; values says the results come as Go
// values rather than encoded.
func newCollector(keep, values bool) *collector { return &collector{keep: keep, values: values} }

// segment returns what takes the results of tasks first to first+n-1,
// indexed from 0 as the segment's Run indexes them. A kept segment takes
// its part of the results now, which every one of its tasks fills in.
func (c *collector) segment(first, n int) sink {
	var part *storePart
	if c.keep {
		part = c.store.newPart(first, n, c.values)
	}
	return sink{
		one: func(r pool.Result) {
			k := r.Index
			r.Index += first
			c.add(r, part, k)
		},
		many: func(rs []pool.Result) { c.addMany(rs, part, first) },
	}
}

// sink takes the results of a segment's Run: one at a time, or a frame's
// at once (pool.RunBatched).
type sink struct {
	one  func(pool.Result)
	many func([]pool.Result) // nil: one at a time only
}

// skipped counts in tasks first to n-1, which never started: the run was
// stopped first.
func (c *collector) skipped(first, n int) {
	if first >= n {
		return
	}
	c.mu.Lock()
	c.notStarted = append(c.notStarted, [2]int{first, n - 1})
	c.mu.Unlock()
}

// add counts r in, and keeps it as task k of part when part is not nil.
func (c *collector) add(r pool.Result, part *storePart, k int) {
	shard := r.Worker & (countShards - 1)
	s := &c.shards[shard]
	s.compute.Add(int64(r.Compute))
	if r.Attempts > 1 {
		s.retries.Add(int64(r.Attempts - 1))
	}
	if r.Err == nil && c.tallyRaw(s, r.Raw) {
		if part != nil {
			c.store.ok(part, k, shard, r.Raw, &report.Result{Task: r.Index, Worker: r.Worker, PID: r.PID, Attempts: r.Attempts})
		}
		s.done.Add(1)
		return
	}
	rr := report.Result{Task: r.Index, Status: "ok", Worker: r.Worker, PID: r.PID, Attempts: r.Attempts}
	if r.Err != nil {
		rr.Status, rr.Error = "error", &report.Error{Message: r.Err.Error()}
		if te, ok := r.Err.(*pool.TaskError); ok {
			rr.Status, rr.Error = te.Kind, &report.Error{Kind: te.Kind, Message: te.Message, Stack: te.Stack}
			if te.Kind == wire.KindCancelled {
				s.cancelled.Add(1)
			}
		}
		s.failed.Add(1)
	} else {
		var start time.Time
		timed := r.Raw != nil && r.Index%decodeSample == 0
		if timed {
			start = time.Now()
		}
		v, err := r.Decode()
		if timed {
			s.decode.Add(decodeSample * int64(time.Since(start)))
		}
		if err != nil {
			rr.Status, rr.Error = "decode", &report.Error{Kind: "decode", Message: err.Error()}
			s.failed.Add(1)
		} else {
			rr.Output = v
			s.ok.Add(1)
		}
	}
	c.tally(s, &rr)
	switch {
	case part == nil:
	case rr.Status == "ok":
		c.store.ok(part, k, shard, r.Raw, &rr) // each index is written once, by one goroutine
	default:
		c.store.keepWhole(part, k, &rr)
	}
	s.done.Add(1)
}

// addMany counts in rs, the results of a frame, indexed from first, and
// keeps them in part when it is not nil: as add would one by one, but
// with the tallies of the ok scalar results, nearly all of a frame's in a
// fast run, summed first and added to the shared counts once.
func (c *collector) addMany(rs []pool.Result, part *storePart, first int) {
	if len(rs) == 0 {
		return
	}
	worker := rs[0].Worker
	shard := worker & (countShards - 1)
	s := &c.shards[shard]
	var compute, retries, sum, ok int64
	notInt := false
	for i := range rs {
		r := &rs[i]
		k := r.Index
		n, isInt, scalar := int64(0), false, false
		if r.Err == nil && r.Worker == worker {
			n, isInt, scalar = task.ScalarInt(r.Raw)
		}
		if !scalar {
			rk := *r
			rk.Index += first
			c.add(rk, part, k)
			continue
		}
		compute += int64(r.Compute)
		retries += int64(max(r.Attempts-1, 0))
		if isInt {
			sum += n
		} else {
			notInt = true
		}
		ok++
		if part != nil {
			c.store.ok(part, k, shard, r.Raw, &report.Result{Task: k + first, Worker: r.Worker, PID: r.PID, Attempts: r.Attempts})
		}
	}
	if ok == 0 {
		return
	}
	s.compute.Add(compute)
	if retries > 0 {
		s.retries.Add(retries)
	}
	if sum != 0 {
		s.sum.Add(sum)
	}
	if notInt && !c.notInts.Load() {
		c.notInts.Store(true)
	}
	s.ok.Add(ok)
	s.done.Add(ok)
}

// tallyRaw counts an encoded scalar result in without decoding it into an
// interface, which would allocate for every result, and returns false for
// any other value, which add decodes.
func (c *collector) tallyRaw(s *counts, raw []byte) bool {
	n, isInt, scalar := task.ScalarInt(raw)
	if !scalar {
		return false
	}
	if isInt {
		s.sum.Add(n)
	} else if !c.notInts.Load() {
		c.notInts.Store(true)
	}
	s.ok.Add(1)
	return true
}

func (c *collector) tally(s *counts, r *report.Result) {
	if r.Status == "ok" {
		if n, ok := asInt(r.Output); ok {
			s.sum.Add(n)
		} else if !c.notInts.Load() {
			c.notInts.Store(true)
		}
		return
	}
	if r.Status == wire.KindCancelled {
		return // stopped, not failed: describe counts it apart
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.firstFail == nil || r.Task < c.firstFail.Task {
		cp := *r
		c.firstFail = &cp
	}
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), true
	}
	return 0, false
}

// measure is what a run measured besides its results.
type measure struct {
	wall, spawn time.Duration
	warmup      int // tasks run before the timed run (-warmup)
	workers     []pool.WorkerInfo
	serialized  pool.Stats
	rss         peakRSS
	startErr    error // why the run's workers could not be started
}

// run summarises the collected results as a report run.
func (c *collector) run(mode string, m measure) report.Run {
	t := c.totals()
	r := report.Run{
		Mode: mode, WorkerCount: len(m.workers), WallSeconds: m.wall.Seconds(), SpawnSeconds: m.spawn.Seconds(),
		WarmupTasks: m.warmup, TasksOK: int(t.ok), TasksFailed: int(t.failed), TasksCancelled: int(t.cancelled),
		Retries: int(t.retries),
		Cost: &report.Cost{
			ComputeSeconds: t.compute.Seconds(),
			BytesToWorkers: m.serialized.TaskBytes, BytesFromWorkers: m.serialized.ResultBytes,
			EncodeSeconds:           m.serialized.Encode.Seconds(),
			DecodeSeconds:           (m.serialized.Decode + t.decode).Seconds(),
			CoordinatorPeakRSSBytes: m.rss.coordinator,
			WorkerPeakRSSBytes:      m.rss.worker, WorkersPeakRSSBytes: m.rss.workers,
		},
	}
	if m.wall > 0 {
		r.ThroughputPerSecond = float64(t.done) / m.wall.Seconds()
	}
	for _, w := range m.workers {
		r.Workers = append(r.Workers, report.Worker{ID: w.ID, PID: w.PID, Tasks: w.Tasks})
		r.WorkerRestarts += w.Restarts
	}
	if c.keep {
		r.Digest, _ = report.DigestSeq(c.kept())
	}
	if m.startErr != nil {
		r.Error = "its workers could not be started: " + m.startErr.Error()
		r.Workers = []report.Worker{}
	}
	return r
}

// kept yields the kept results in task order, none when results are not
// kept (see store.results).
func (c *collector) kept() iter.Seq[*report.Result] { return c.store.results() }

// cancelled lists the tasks that never started, or returns nil if every
// task started.
func (c *collector) cancelled() *report.Cancelled {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.notStarted) == 0 {
		return nil
	}
	cl := &report.Cancelled{Ranges: slices.Clone(c.notStarted)}
	for _, r := range cl.Ranges {
		cl.Tasks += r[1] - r[0] + 1
	}
	return cl
}
