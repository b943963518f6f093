package lane

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"unsafe"
)

// ErrBadRef is returned by Reader.Slice for a reference that does not name
// bytes the writer may have placed: outside the ring, empty, or before what
// the reader has released.
var ErrBadRef = errors.New("lane: bad payload reference")

// Ref names a payload in a ring: Len bytes from the absolute position Pos.
// Positions grow with every payload and never wrap; a payload's place in
// the ring is Pos modulo the ring's size, and it never straddles the end.
// The zero Ref names nothing.
type Ref struct {
	Pos, Len uint64
}

// End is the position just past the payload, to Release once it is read.
func (r Ref) End() uint64 { return r.Pos + r.Len }

// Writer places payloads in a ring. It is used by one goroutine.
type Writer struct {
	ring     []byte
	released *atomic.Uint64 // how far the reader is done, in the shared header
	head     uint64         // where the next payload may begin
	// The end of a ring skipped to place a payload at its start, from gap
	// to the start: a reader released up to gap is done with it too.
	gap, gapEnd uint64
	mapped      prefault
}

// Reserve finds room for a payload of n bytes. It returns the position at
// which to write it and, for writing, a slice of length 0 at that place
// whose capacity is all the contiguous free space there, at least n. ok is
// false, and nothing changes, when n bytes are not free, n is not positive,
// or the reader's release mark is impossible (ahead of the writer or a
// whole ring behind): the payload then travels another way.
func (w *Writer) Reserve(n int) (pos uint64, buf []byte, ok bool) {
	size := uint64(len(w.ring))
	if n <= 0 || uint64(n) > size {
		return 0, nil, false
	}
	done := w.released.Load()
	if done >= w.gap && done < w.gapEnd {
		done = w.gapEnd // nothing was placed in the gap
	}
	if done > w.head || w.head-done > size {
		return 0, nil, false
	}
	pos = w.head
	off := pos % size
	if done == pos && off > 0 {
		done = pos + size - off // empty: all of the next round is free
	}
	limit := done + size // the first position still held by the reader's wrap
	// A payload never straddles the end; and it goes back to the start as
	// soon as an eighth of the ring is free there, so that a ring with a
	// few payloads in flight keeps using the same pages rather than
	// touching all of its memory. Going back skips the rest of the round,
	// which then serves nobody until the reader passes it: with an eighth
	// free at the start, a writer whose payloads held and next one take
	// no more than that never finds the ring full.
	if next := pos + size - off; off > 0 && (off+uint64(n) > size || next+max(uint64(n), size/8) <= limit) {
		pos, off = next, 0
	}
	if pos+uint64(n) > limit {
		return 0, nil, false
	}
	room := min(limit-pos, size-off)
	w.mapped.upTo(w.ring, off+uint64(n))
	return pos, w.ring[off:off:(off + room)], true
}

// Commit marks the n bytes at pos, found by the last Reserve, as written:
// the next payload goes after them. The Ref to send is {pos, n}.
func (w *Writer) Commit(pos uint64, n int) Ref {
	if pos > w.head {
		w.gap, w.gapEnd = w.head, pos
	}
	w.head = pos + uint64(n)
	return Ref{Pos: pos, Len: uint64(n)}
}

// InPlace reports whether b, a payload appended to the buf of a Reserve,
// was written there, rather than copied elsewhere as it outgrew buf, and is
// large enough for a lane (MinPayload): only then is it committed.
func InPlace(b, buf []byte) bool {
	return unsafe.SliceData(b) == unsafe.SliceData(buf) && len(b) >= MinPayload
}

// Reader reads the payloads a Writer placed in a ring. It is used by one
// goroutine.
type Reader struct {
	ring     []byte
	released *atomic.Uint64 // in the shared header, for the writer
	done     uint64         // the reader's own copy
	mapped   prefault
}

// Slice returns the bytes that ref names, in the shared memory: they stay
// valid until the reader releases them. It returns an error wrapping
// ErrBadRef, and nothing, for a reference outside the ring or before the
// last Release.
func (r *Reader) Slice(ref Ref) ([]byte, error) {
	size := uint64(len(r.ring))
	if size == 0 {
		return nil, fmt.Errorf("%w: no ring", ErrBadRef)
	}
	off := ref.Pos % size
	if ref.Len == 0 || ref.Len > size-off || ref.Pos < r.done || ref.Pos > math.MaxUint64-ref.Len {
		return nil, fmt.Errorf("%w: %d bytes at %d in a ring of %d released to %d", ErrBadRef, ref.Len, ref.Pos, size, r.done)
	}
	r.mapped.upTo(r.ring, off+ref.Len)
	return r.ring[off : off+ref.Len : off+ref.Len], nil
}

// Release gives the space before end back to the writer. Payloads are
// released in the order they were placed; a Release behind an earlier one
// does nothing.
func (r *Reader) Release(end uint64) {
	if end > r.done {
		r.done = end
		r.released.Store(end)
	}
}

// prefault maps a ring's pages into this process ahead of their first use,
// as far as the payloads placed or read so far reach, rounded up to
// prefaultStep, with one system call rather than a page fault per page
// (see populate). A ring used from its start touches
// only as much of its memory as its payloads in flight need.
type prefault struct {
	populate func([]byte) bool // nil: pages fault in as they are touched
	upto     uint64            // bytes from the ring's start mapped so far
}

const prefaultStep = 64 << 10

// upTo maps the ring's first end bytes, at least.
func (p *prefault) upTo(ring []byte, end uint64) {
	if p.populate == nil || end <= p.upto {
		return
	}
	to := min((end+prefaultStep-1)/prefaultStep*prefaultStep, uint64(len(ring)))
	if !p.populate(ring[p.upto:to]) {
		p.populate = nil // not supported here: fault as usual
		return
	}
	p.upto = to
}
