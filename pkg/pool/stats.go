package pool

import (
	"sync/atomic"
	"time"

	"github.com/brinehq/brine/pkg/wire"
)

// Stats is what a pool has serialized since New, and the time this process
// spent doing it. Thread mode without Wire serializes nothing, so its Stats
// are zero.
//
// In process mode the counts are the coordinator's side: task frames it
// encoded and result frames it decoded. The workers' decoding of tasks is
// not seen, and their encoding of results is part of each task's
// Result.Compute, as it is in thread mode with Wire. With Wire, where the
// "worker" is this process, Encode and Decode count both sides' framing.
type Stats struct {
	TaskBytes   int64         // bytes of the tasks sent to workers: their frames, headers included, and what went by lane
	ResultBytes int64         // bytes of the results received from workers: their frames, headers included, and what came by lane
	Encode      time.Duration // time spent encoding frames
	Decode      time.Duration // time spent decoding frames
	// LaneBytes are the bytes of TaskBytes and ResultBytes that were large
	// arguments and results placed in shared memory rather than sent
	// through the pipes (docs/PROTOCOL.md §5.1).
	LaneBytes int64
}

// Stats returns the pool's serialization counters. It is safe to call at
// any time; the counters of a running pool keep growing.
func (p *Pool) Stats() Stats {
	return Stats{
		TaskBytes:   p.stats.taskBytes.Load(),
		ResultBytes: p.stats.resultBytes.Load(),
		Encode:      time.Duration(p.stats.encodeNanos.Load()),
		Decode:      time.Duration(p.stats.decodeNanos.Load()),
		LaneBytes:   p.stats.laneBytes.Load(),
	}
}

// stats are the counters behind Stats, updated by the backends.
type stats struct {
	taskBytes, resultBytes   atomic.Int64
	encodeNanos, decodeNanos atomic.Int64
	laneBytes                atomic.Int64
}

// laned counts n payload bytes that went by lane, in laneBytes and in the
// frames' direction, taskBytes or resultBytes.
func (s *stats) laned(n int, dir *atomic.Int64) {
	s.laneBytes.Add(int64(n))
	dir.Add(int64(n))
}

func (s *stats) encoded(taskBytes int, took time.Duration) {
	s.taskBytes.Add(int64(taskBytes))
	s.encodeNanos.Add(int64(took))
}

func (s *stats) decoded(resultBytes int, took time.Duration) {
	s.resultBytes.Add(int64(resultBytes))
	s.decodeNanos.Add(int64(took))
}

// encodeCounted is encode, counted in the pool's Stats.
func (w *proc) encodeCounted(buf []byte, batch []*item) []byte {
	start := time.Now()
	out := w.encode(buf, batch)
	w.b.p.stats.encoded(len(out)-len(buf), time.Since(start))
	return out
}

// decodeCounted is wire.DecodeResults on a frame body, counted in the
// pool's Stats.
func (w *proc) decodeCounted(body []byte, rs []wire.Result) ([]wire.Result, error) {
	start := time.Now()
	rs, err := wire.DecodeResults(body, rs)
	w.b.p.stats.decoded(wire.HeaderSize+len(body), time.Since(start))
	return rs, err
}
