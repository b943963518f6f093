package coordinator

import (
	"encoding/binary"
	"iter"
	"runtime/debug"
	"sync"

	"github.com/brinehq/brine/pkg/report"
	"github.com/brinehq/brine/pkg/task"
)

// A store keeps a run's results for its report compactly: per task, a
// record of a few bytes and its output as the worker encoded it, copied
// into blocks that many outputs share; a failure, rare, kept whole beside
// them. Outputs are decoded only as the report is written, one at a time,
// so that a run of a million trivial tasks keeps a few tens of bytes for
// each rather than a report.Result and a boxed value.
//
// Records are written by the results' goroutines, each index once, with
// no lock; outputs are copied into the arena of the goroutine's shard of
// the collector, under the shard's lock.
type store struct {
	arenas [countShards]arena

	mu      sync.Mutex
	parts   []*storePart
	whole   map[int]*report.Result // results kept whole, by task id: failures, and outputs with no encoding
	origins []origin               // where results came from, which records point to
	index   map[origin]uint16      // into origins
}

// origin is where and how a result was made: the worker and process that
// made it, and the attempt. A run has few of them, so that records hold
// an index into a table of them.
type origin struct {
	worker, pid, attempts int
}

// storePart holds the results of one segment of tasks.
type storePart struct {
	first int
	recs  []record
	// vals holds thread mode's results, which come as Go values with no
	// encoding; nil in process mode.
	vals []any
}

// record is one task's result, but for its output's bytes.
type record struct {
	origin uint16 // in store.origins
	status uint8  // recordOK, or recordWhole: its result is in store.whole
	block  uint32 // the output's place in the arena of its worker's shard
	off    uint32
	n      uint32
}

const (
	recordNone  = iota // no result arrived: the task never ran
	recordOK           // succeeded; its output is in the arena, or in vals
	recordWhole        // its result is in store.whole
)

// newPart adds the part of the n tasks from first, in thread mode when
// values is set.
func (s *store) newPart(first, n int, values bool) *storePart {
	p := &storePart{first: first, recs: make([]record, n)}
	if values {
		p.vals = make([]any, n)
	}
	s.mu.Lock()
	s.parts = append(s.parts, p)
	s.mu.Unlock()
	return p
}

// ok keeps the successful result r of task k of p, whose output is raw as
// encoded, or, with no encoding, r.Output.
func (s *store) ok(p *storePart, k, shard int, raw []byte, r *report.Result) {
	if raw == nil && p.vals == nil {
		s.keepWhole(p, k, r)
		return
	}
	a := &s.arenas[shard]
	a.mu.Lock()
	o, ok := a.originOf(s, origin{r.Worker, r.PID, r.Attempts})
	if !ok {
		a.mu.Unlock()
		s.keepWhole(p, k, r) // a run with more than 65,535 origins
		return
	}
	rec := record{origin: o, status: recordOK}
	if raw != nil {
		rec.block, rec.off, rec.n = a.put(raw)
	} else {
		p.vals[k] = r.Output
	}
	a.mu.Unlock()
	p.recs[k] = rec
}

// keepWhole keeps r, the result of task k of p, as it is.
func (s *store) keepWhole(p *storePart, k int, r *report.Result) {
	cp := *r
	s.mu.Lock()
	if s.whole == nil {
		s.whole = map[int]*report.Result{}
	}
	s.whole[r.Task] = &cp
	s.mu.Unlock()
	p.recs[k] = record{status: recordWhole}
}

// iterGCPercent is the garbage collector's target while the results are
// iterated (see results); the default is 100.
const iterGCPercent = 20

// results yields the kept results in task order, decoding each output as
// it goes: the *report.Result is reused, as report.WriteSeq allows. Tasks
// that never ran are left out. The results must all have arrived.
func (s *store) results() iter.Seq[*report.Result] {
	s.mu.Lock()
	parts := s.parts
	s.mu.Unlock()
	return func(yield func(*report.Result) bool) {
		// Each result is decoded and, by the caller, encoded again: all
		// garbage at once, over a live heap that is mostly the store. A
		// collector that let the heap double first would double the
		// coordinator's peak for this alone.
		defer debug.SetGCPercent(debug.SetGCPercent(iterGCPercent))
		var r report.Result
		for _, p := range parts {
			for k := range p.recs {
				rec := &p.recs[k]
				switch rec.status {
				case recordNone:
					continue
				case recordWhole:
					s.mu.Lock()
					w := s.whole[p.first+k]
					s.mu.Unlock()
					if !yield(w) {
						return
					}
					continue
				}
				s.mu.Lock()
				o := s.origins[rec.origin]
				s.mu.Unlock()
				r = report.Result{Task: p.first + k, Status: "ok", Worker: o.worker, PID: o.pid, Attempts: o.attempts}
				if p.vals != nil {
					r.Output = p.vals[k]
				} else {
					r.Output = decodeKept(s.arenas[o.worker&(countShards-1)].get(rec.block, rec.off, rec.n))
				}
				if !yield(&r) {
					return
				}
			}
		}
	}
}

// decodeKept decodes an output the store kept, which decoded when it
// arrived: a binary one is its bytes in the arena, not a copy, so that a
// large one costs no more memory as the report is written.
func decodeKept(raw []byte) any {
	var n, at int
	switch {
	case len(raw) >= 2 && raw[0] == 0xc4: // bin 8
		n, at = int(raw[1]), 2
	case len(raw) >= 3 && raw[0] == 0xc5: // bin 16
		n, at = int(binary.BigEndian.Uint16(raw[1:])), 3
	case len(raw) >= 5 && raw[0] == 0xc6: // bin 32
		n, at = int(binary.BigEndian.Uint32(raw[1:])), 5
	}
	if at > 0 && len(raw) == at+n {
		return raw[at:]
	}
	v, _ := task.DecodeAny(raw)
	return v
}

// arena holds encoded outputs in blocks: most share a block, and a large
// one has a block of its own, so that the arena never copies what it holds
// to grow.
type arena struct {
	mu     sync.Mutex
	blocks [][]byte
	shared int // 1 + the index of the block small outputs go into; 0 before there is one
	// The origin of the shard's last result, which the next one mostly
	// shares, and its index.
	last    origin
	lastIdx uint16
	hasLast bool
}

// originOf returns the index of o in s's table, adding it, or false when
// the table is full. a.mu must be held.
func (a *arena) originOf(s *store, o origin) (uint16, bool) {
	if a.hasLast && a.last == o {
		return a.lastIdx, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.index[o]
	if !ok {
		if len(s.origins) > 1<<16-1 {
			return 0, false
		}
		if s.index == nil {
			s.index = map[origin]uint16{}
		}
		i = uint16(len(s.origins))
		s.index[o] = i
		s.origins = append(s.origins, o)
	}
	a.last, a.lastIdx, a.hasLast = o, i, true
	return i, true
}

// arenaBlock is the size of a shared block; an output of more than a
// quarter of it gets a block of its own.
const arenaBlock = 256 << 10

// put copies b into the arena and returns where it is. a.mu must be held.
func (a *arena) put(b []byte) (block, off, n uint32) {
	if len(b) > arenaBlock/4 {
		a.blocks = append(a.blocks, append([]byte(nil), b...))
		return uint32(len(a.blocks) - 1), 0, uint32(len(b))
	}
	if a.shared == 0 || len(a.blocks[a.shared-1])+len(b) > arenaBlock {
		a.blocks = append(a.blocks, make([]byte, 0, arenaBlock))
		a.shared = len(a.blocks)
	}
	i := a.shared - 1
	off = uint32(len(a.blocks[i]))
	a.blocks[i] = append(a.blocks[i], b...)
	return uint32(i), off, uint32(len(b))
}

// get returns the bytes put returned the place of.
func (a *arena) get(block, off, n uint32) []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.blocks[block][off : off+n]
}
