package coordinator

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/report"
	"github.com/brinehq/brine/pkg/task"
)

// collector gathers results as they arrive, from the pool's goroutines.
// It keeps every result only when a report needs them; otherwise its memory
// does not grow with the number of tasks.
type collector struct {
	results []report.Result // by task index; nil unless kept
	// shards count results by worker: each worker's results arrive on one
	// goroutine, and counters of their own, on cache lines of their own,
	// keep those goroutines from contending for every result.
	shards  [countShards]counts
	notInts atomic.Bool // some output is not an integer

	mu        sync.Mutex // guards firstFail
	firstFail *report.Result
}

// countShards is a power of two.
const countShards = 16

// counts are one shard's tallies.
type counts struct {
	done    atomic.Int64
	ok      atomic.Int64
	failed  atomic.Int64
	retries atomic.Int64
	compute atomic.Int64 // nanoseconds the tasks' functions ran
	decode  atomic.Int64 // nanoseconds spent decoding result values, estimated
	sum     atomic.Int64 // of integer outputs
	_       [128 - 7*8]byte
}

// totals are the sums of the shards' counts.
type totals struct {
	done, ok, failed, retries, sum int64
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
		t.compute += time.Duration(s.compute.Load())
		t.decode += time.Duration(s.decode.Load())
	}
	return t
}

// decodeSample: the result values of one task in decodeSample (by index)
// have their decoding timed, standing for the others. Reading the clock
// twice per result cost as much as decoding a small value.
const decodeSample = 16

func newCollector(n int, keep bool) *collector {
	c := &collector{}
	if keep {
		c.results = make([]report.Result, n)
	}
	return c
}

func (c *collector) add(r pool.Result) {
	s := &c.shards[r.Worker&(countShards-1)]
	s.compute.Add(int64(r.Compute))
	if r.Attempts > 1 {
		s.retries.Add(int64(r.Attempts - 1))
	}
	if r.Err == nil && c.results == nil && c.tallyRaw(s, r.Raw) {
		s.done.Add(1)
		return
	}
	rr := report.Result{Task: r.Index, Status: "ok", Worker: r.Worker, PID: r.PID, Attempts: r.Attempts}
	if r.Err != nil {
		rr.Status, rr.Error = "error", &report.Error{Message: r.Err.Error()}
		if te, ok := r.Err.(*pool.TaskError); ok {
			rr.Status, rr.Error = te.Kind, &report.Error{Kind: te.Kind, Message: te.Message, Stack: te.Stack}
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
	if c.results != nil {
		c.results[r.Index] = rr // each index is written once, by one goroutine
	}
	s.done.Add(1)
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
}

// run summarises the collected results as a report run.
func (c *collector) run(mode string, m measure) report.Run {
	t := c.totals()
	r := report.Run{
		Mode: mode, WorkerCount: len(m.workers), WallSeconds: m.wall.Seconds(), SpawnSeconds: m.spawn.Seconds(),
		WarmupTasks: m.warmup, TasksOK: int(t.ok), TasksFailed: int(t.failed), Retries: int(t.retries),
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
	if c.results != nil {
		r.Digest, _ = report.Digest(c.results)
	}
	return r
}
