package lane

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

func newRing(size int) (*Writer, *Reader) {
	var mark atomic.Uint64
	ring := make([]byte, size)
	return &Writer{ring: ring, released: &mark}, &Reader{ring: ring, released: &mark}
}

// put places p through w and returns its Ref, failing the test when it
// does not fit.
func put(t *testing.T, w *Writer, p []byte) Ref {
	t.Helper()
	pos, buf, ok := w.Reserve(len(p))
	if !ok {
		t.Fatalf("no room for %d bytes at head %d", len(p), w.head)
	}
	if cap(buf) < len(p) {
		t.Fatalf("Reserve(%d) gave %d bytes of room", len(p), cap(buf))
	}
	return w.Commit(pos, len(append(buf, p...)))
}

func get(t *testing.T, r *Reader, ref Ref) []byte {
	t.Helper()
	b, err := r.Slice(ref)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// check reads ref through r and compares it with want.
func check(t *testing.T, r *Reader, ref Ref, want []byte) {
	t.Helper()
	if got := get(t, r, ref); !bytes.Equal(got, want) {
		t.Fatalf("payload at %+v: got %q, want %q", ref, got, want)
	}
}

// TestRingKeepsToTheStart: payloads go at the ring's start whenever there
// is room there, and after one another while the start is held.
func TestRingKeepsToTheStart(t *testing.T) {
	w, r := newRing(100)
	fill := func(c byte) []byte { return bytes.Repeat([]byte{c}, 30) }
	var refs []Ref
	for _, c := range []byte("abc") {
		refs = append(refs, put(t, w, fill(c)))
	}
	if _, _, ok := w.Reserve(30); ok {
		t.Fatal("room for 30 bytes with 10 free at the end and the start held")
	}
	check(t, r, refs[0], fill('a'))
	r.Release(refs[0].End())
	refs = append(refs, put(t, w, fill('d'))) // in the space a left
	for i, c := range []byte("bcd") {
		check(t, r, refs[i+1], fill(c))
		r.Release(refs[i+1].End())
	}
	refs = append(refs, put(t, w, fill('e'))) // the ring is empty: at its start again
	check(t, r, refs[4], fill('e'))
	for i, want := range []uint64{0, 30, 60, 100, 200} {
		if refs[i].Pos != want || refs[i].Len != 30 {
			t.Errorf("payload %c at %+v, want pos %d", 'a'+i, refs[i], want)
		}
	}
}

func TestRingFullThenFreed(t *testing.T) {
	w, r := newRing(100)
	a := put(t, w, make([]byte, 60))
	if _, _, ok := w.Reserve(50); ok {
		t.Fatal("50 bytes reserved with 40 free")
	}
	b := put(t, w, make([]byte, 40))
	if _, _, ok := w.Reserve(1); ok {
		t.Fatal("a byte reserved in a full ring")
	}
	get(t, r, a)
	r.Release(a.End())
	pos, buf, ok := w.Reserve(50)
	if !ok || pos != 100 || cap(buf) != 60 {
		t.Fatalf("after the first release: Reserve(50) = %d, room %d, %v; want 100, 60, true", pos, cap(buf), ok)
	}
	get(t, r, b)
}

// TestRingRoomIsContiguous: the capacity Reserve gives runs to the end of
// the ring or to what the reader still holds, whichever is first.
func TestRingRoomIsContiguous(t *testing.T) {
	w, r := newRing(100)
	a := put(t, w, make([]byte, 40))
	if _, buf, _ := w.Reserve(10); cap(buf) != 60 {
		t.Errorf("room after 40 bytes held at the start: %d, want 60 (to the end)", cap(buf))
	}
	b := put(t, w, make([]byte, 30))
	r.Release(a.End())
	if pos, buf, _ := w.Reserve(10); pos != 100 || cap(buf) != 40 {
		t.Errorf("Reserve(10) at %d with room %d, want 100 and 40 (the start, up to b)", pos, cap(buf))
	}
	// Empty, the ring is all room, from its start.
	r.Release(b.End())
	if pos, buf, _ := w.Reserve(10); pos != 100 || cap(buf) != 100 {
		t.Errorf("Reserve(10) in an empty ring at %d with room %d, want 100 and 100", pos, cap(buf))
	}
}

// TestRingImpossibleMarks: a reader that claims to have released what was
// never written, or went back, gets no more payloads; the writer says so
// rather than overwrite or fault.
func TestRingImpossibleMarks(t *testing.T) {
	for _, mark := range []uint64{1 << 40, ^uint64(0)} {
		w, _ := newRing(100)
		put(t, w, make([]byte, 10))
		w.released.Store(mark)
		if _, _, ok := w.Reserve(10); ok {
			t.Errorf("mark %d ahead of the writer: room given", mark)
		}
	}
	w, _ := newRing(100)
	for range 5 {
		ref := put(t, w, make([]byte, 50))
		w.released.Store(ref.End())
	}
	w.released.Store(0) // went back more than a ring
	if _, _, ok := w.Reserve(10); ok {
		t.Error("mark a whole ring behind: room given")
	}
}

func TestReaderRejectsBadRefs(t *testing.T) {
	_, r := newRing(100)
	r.Release(200)
	for _, ref := range []Ref{
		{Pos: 200, Len: 0},            // empty
		{Pos: 250, Len: 51},           // past the end of the ring
		{Pos: 200, Len: 101},          // larger than the ring
		{Pos: 150, Len: 10},           // released already
		{Pos: ^uint64(0) - 5, Len: 8}, // its end overflows
	} {
		if b, err := r.Slice(ref); !errors.Is(err, ErrBadRef) || b != nil {
			t.Errorf("Slice(%+v) = %d bytes, %v; want ErrBadRef", ref, len(b), err)
		}
	}
	if b, err := r.Slice(Ref{Pos: 250, Len: 50}); err != nil || len(b) != 50 || cap(b) != 50 {
		t.Errorf("Slice of the ring's last 50 bytes: len %d cap %d, %v", len(b), cap(b), err)
	}
}

func TestReleaseNeverGoesBack(t *testing.T) {
	w, r := newRing(100)
	r.Release(40)
	r.Release(10)
	if got := w.released.Load(); got != 40 {
		t.Errorf("release mark %d after releasing 40 then 10, want 40", got)
	}
}

// TestRingSkippedEndIsFree: the end of a ring skipped to place a payload
// at its start holds nothing, so a reader done with what came before it
// has freed it too: a payload in flight at the start must not make the
// rest of the ring look held.
func TestRingSkippedEndIsFree(t *testing.T) {
	w, r := newRing(100)
	for i := range 10 {
		a := put(t, w, make([]byte, 30))
		get(t, r, a)
		r.Release(a.End())
		b := put(t, w, make([]byte, 30)) // at the start: the end after a is skipped
		if b.Pos%100 != 0 {
			t.Fatalf("round %d: payload at %d, want the ring's start", i, b.Pos)
		}
		c := put(t, w, make([]byte, 30)) // b held: right after it
		if c.Pos != b.End() {
			t.Fatalf("round %d: payload at %d with one at %d held, want %d", i, c.Pos, b.Pos, b.End())
		}
		for _, ref := range []Ref{b, c} {
			get(t, r, ref)
			r.Release(ref.End())
		}
	}
}

// TestRingFillsPastASkippedEnd: with the reader done up to a skipped end,
// the writer fills the next round of the ring up to where that end began
// and beyond, a whole ring ahead of the release mark but not of the
// payloads still held.
func TestRingFillsPastASkippedEnd(t *testing.T) {
	w, r := newRing(100)
	a := put(t, w, make([]byte, 60))
	get(t, r, a)
	r.Release(a.End())
	b := put(t, w, make([]byte, 50)) // at 100: the 40 bytes after a are skipped
	c := put(t, w, make([]byte, 30)) // at 150, ahead of the mark (60) by 120
	if b.Pos != 100 || c.Pos != 150 {
		t.Fatalf("payloads at %d and %d, want 100 and 150", b.Pos, c.Pos)
	}
	if _, _, ok := w.Reserve(30); ok {
		t.Fatal("room for 30 bytes with 20 left in a ring holding 80")
	}
	for _, ref := range []Ref{b, c} {
		get(t, r, ref)
		r.Release(ref.End())
	}
	if _, _, ok := w.Reserve(100); !ok {
		t.Fatal("no room for a whole ring once all is released")
	}
}

// TestRingNeverOverwritesHeld drives a ring with payloads of random sizes,
// held and released in order at random, and checks that no payload is
// placed over one still held, that every payload reads back intact, and
// that an empty ring always has room.
func TestRingNeverOverwritesHeld(t *testing.T) {
	const size = 1000
	rng := rand.New(rand.NewPCG(1, 2))
	w, r := newRing(size)
	type held struct {
		ref  Ref
		data []byte
	}
	var q []held
	placed := 0
	for step := range 200000 {
		if len(q) > 0 && rng.IntN(3) == 0 { // the reader takes the oldest
			h := q[0]
			q = q[1:]
			check(t, r, h.ref, h.data)
			r.Release(h.ref.End())
			continue
		}
		n := 1 + rng.IntN(size/3)
		pos, buf, ok := w.Reserve(n)
		if !ok {
			if len(q) == 0 {
				t.Fatalf("step %d: no room for %d bytes in an empty ring", step, n)
			}
			continue
		}
		off := pos % size
		for _, h := range q {
			o := h.ref.Pos % size
			if off < o+h.ref.Len && o < off+uint64(n) {
				t.Fatalf("step %d: %d bytes at %d (offset %d) over a held payload at %+v", step, n, pos, off, h.ref)
			}
		}
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		q = append(q, held{w.Commit(pos, len(append(buf, data...))), data})
		placed++
	}
	if placed < 50000 {
		t.Errorf("%d payloads placed in 200,000 steps: the ring refused too many", placed)
	}
}

// TestRingRoomWhileLittleIsHeld: whatever the order of sizes and releases,
// released one at a time or many at once, a payload finds room whenever it
// and those still held take at most an eighth of the ring.
func TestRingRoomWhileLittleIsHeld(t *testing.T) {
	const size = 1000
	rng := rand.New(rand.NewPCG(3, 4))
	w, r := newRing(size)
	var q []Ref
	var held uint64
	for step := range 200000 {
		n := 1 + rng.IntN(size/8)
		if len(q) > 0 && (rng.IntN(3) == 0 || held+uint64(n) > size/8) {
			k := 1 + rng.IntN(len(q)) // the reader releases k at once
			for _, ref := range q[:k] {
				held -= ref.Len
			}
			r.Release(q[k-1].End())
			q = q[k:]
			continue
		}
		pos, _, ok := w.Reserve(n)
		if !ok {
			t.Fatalf("step %d: no room for %d bytes with %d held in %d payloads (head %d, released %d)",
				step, n, held, len(q), w.head, w.released.Load())
		}
		q = append(q, w.Commit(pos, n))
		held += uint64(n)
	}
}

// A payload is in place when it was appended within the reserved room and
// is large enough for a lane; one that outgrew the room was copied out.
func TestInPlace(t *testing.T) {
	w, _ := newRing(4 * MinPayload)
	_, room, ok := w.Reserve(2 * MinPayload)
	if !ok {
		t.Fatal("no room in an empty ring")
	}
	if fit := append(room, make([]byte, MinPayload)...); !InPlace(fit, room) {
		t.Error("a payload of MinPayload written in its room is not in place")
	}
	if small := append(room, make([]byte, MinPayload-1)...); InPlace(small, room) {
		t.Error("a payload under MinPayload is in place")
	}
	if grown := append(room, make([]byte, cap(room)+1)...); InPlace(grown, room) {
		t.Error("a payload that outgrew its room is in place")
	}
}
