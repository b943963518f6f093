package nats

import (
	"encoding/binary"
	"fmt"
	mbits "math/bits"

	"github.com/brinehq/brine/pkg/wire"
)

// framer cuts a stream of bytes into whole frames (docs/PROTOCOL.md §2),
// keeping what it has of a frame cut short until the rest comes.
type framer struct{ partial []byte }

// add passes each whole frame of what has come so far, p the latest, to
// fn, which must not keep it. It returns fn's first error, or the error of
// a frame longer than wire.MaxFrame, which it keeps with what follows as
// partial.
func (f *framer) add(p []byte, fn func(frame []byte) error) error {
	if len(f.partial) > 0 {
		f.partial = append(f.partial, p...)
		p = f.partial
	}
	for len(p) >= wire.HeaderSize {
		n := int(binary.BigEndian.Uint32(p))
		if n > wire.MaxFrame {
			f.partial = append(f.partial[:0], p...) // for the caller to pass on as it is
			return fmt.Errorf("%w: %d > %d", wire.ErrFrameTooLarge, n, wire.MaxFrame)
		}
		if len(p) < wire.FrameSize(n) {
			break
		}
		if err := fn(p[:wire.FrameSize(n)]); err != nil {
			return err
		}
		p = p[wire.FrameSize(n):]
	}
	f.partial = append(f.partial[:0], p...)
	return nil
}

// frameOf returns body as a whole frame, in fresh memory.
func frameOf(body []byte) []byte {
	frame := binary.BigEndian.AppendUint32(make([]byte, 0, wire.FrameSize(len(body))), uint32(len(body)))
	return append(frame, body...)
}

// oneFrame returns the body of data, which must be one whole frame.
func oneFrame(data []byte) ([]byte, error) {
	if len(data) < wire.HeaderSize || int(binary.BigEndian.Uint32(data)) != len(data)-wire.HeaderSize {
		return nil, fmt.Errorf("%w: a message that is not one whole frame", wire.ErrMalformed)
	}
	return data[wire.HeaderSize:], nil
}

// taskSpans appends the ids of the tasks of body, the body of a Tasks or
// Calls frame, to dst as spans of consecutive ids.
func taskSpans(body []byte, dst []wire.Span, scratch *decoded) ([]wire.Span, error) {
	typ, err := wire.PeekType(body)
	if err != nil {
		return dst, err
	}
	switch typ {
	case wire.TypeCalls:
		// Their arguments are the worker's to check, as it decodes them.
		first, n, err := wire.CallsSpan(body)
		if err != nil {
			return dst, err
		}
		if n > 0 {
			dst = addSpan(dst, wire.Span{First: first, Last: first + uint64(n) - 1})
		}
		return dst, nil
	case wire.TypeTasks:
		ts, err := wire.DecodeTasks(body, scratch.tasks[:0])
		scratch.tasks = ts
		if err != nil {
			return dst, err
		}
		for i := range ts {
			dst = addID(dst, ts[i].ID)
		}
		clear(ts)
		return dst, nil
	}
	return dst, fmt.Errorf("%w: %s where tasks were expected", wire.ErrMalformed, typ)
}

// decoded is the scratch memory of taskSpans.
type decoded struct {
	tasks []wire.Task
}

// addID adds id to spans, extending the last span when it follows it.
func addID(spans []wire.Span, id uint64) []wire.Span {
	return addSpan(spans, wire.Span{First: id, Last: id})
}

// addSpan adds sp to spans, extending the last span when sp follows it.
func addSpan(spans []wire.Span, sp wire.Span) []wire.Span {
	if n := len(spans); n > 0 && spans[n-1].Last+1 == sp.First {
		spans[n-1].Last = sp.Last
		return spans
	}
	return append(spans, sp)
}

// idSet is a set of task ids, which a pool numbers upwards: a bit per id
// in a window of words from base that slides up as the lowest ids leave,
// and a map for the few ids below it that come back (a task sent again).
type idSet struct {
	base  uint64   // the id of the first bit of words[0], a multiple of 64
	words []uint64 // from base
	below map[uint64]struct{}
	n     int
}

// add adds id, and reports whether it was not there.
func (s *idSet) add(id uint64) bool {
	if s.n == 0 && len(s.below) == 0 {
		s.base, s.words = id&^63, s.words[:0]
	}
	if id < s.base {
		if _, ok := s.below[id]; ok {
			return false
		}
		if s.below == nil {
			s.below = map[uint64]struct{}{}
		}
		s.below[id] = struct{}{}
		s.n++
		return true
	}
	w := int((id - s.base) >> 6)
	for len(s.words) <= w {
		s.words = append(s.words, 0)
	}
	bit := uint64(1) << (id & 63)
	if s.words[w]&bit != 0 {
		return false
	}
	s.words[w] |= bit
	s.n++
	return true
}

// addSpan adds the ids of sp, a word at a time.
func (s *idSet) addSpan(sp wire.Span) {
	if s.n == 0 && len(s.below) == 0 {
		s.base, s.words = sp.First&^63, s.words[:0]
	}
	if sp.First < s.base {
		for id := sp.First; id <= sp.Last && id >= sp.First; id++ {
			s.add(id)
		}
		return
	}
	for id := sp.First; id <= sp.Last; {
		w := int((id - s.base) >> 6)
		for len(s.words) <= w {
			s.words = append(s.words, 0)
		}
		hi := min(sp.Last, id|63)
		bits := ^uint64(0)
		if width := hi - id + 1; width < 64 {
			bits = (uint64(1)<<width - 1) << (id & 63)
		}
		s.n += mbits.OnesCount64(bits &^ s.words[w])
		s.words[w] |= bits
		if hi == ^uint64(0) {
			return
		}
		id = hi + 1
	}
}

// remove removes id, and reports whether it was there.
func (s *idSet) remove(id uint64) bool {
	if id < s.base {
		if _, ok := s.below[id]; !ok {
			return false
		}
		delete(s.below, id)
		s.n--
		return true
	}
	w := int((id - s.base) >> 6)
	bit := uint64(1) << (id & 63)
	if w >= len(s.words) || s.words[w]&bit == 0 {
		return false
	}
	s.words[w] &^= bit
	s.n--
	// Slide past the words emptied at the front, keeping the last one:
	// its ids may be sent yet.
	k := 0
	for k < len(s.words)-1 && s.words[k] == 0 {
		k++
	}
	if k > 0 {
		s.base += uint64(k) << 6
		s.words = s.words[:copy(s.words, s.words[k:])]
	}
	return true
}

func (s *idSet) has(id uint64) bool {
	if id < s.base {
		_, ok := s.below[id]
		return ok
	}
	w := int((id - s.base) >> 6)
	return w < len(s.words) && s.words[w]&(1<<(id&63)) != 0
}

func (s *idSet) len() int { return s.n }

// spansHave reports whether id is in one of spans.
func spansHave(spans []wire.Span, id uint64) bool {
	for _, sp := range spans {
		if id >= sp.First && id <= sp.Last {
			return true
		}
	}
	return false
}

// spansLen returns how many ids spans hold.
func spansLen(spans []wire.Span) int {
	n := 0
	for _, sp := range spans {
		n += int(sp.Last - sp.First + 1)
	}
	return n
}

// eachFrame calls fn with the body of each frame of data, which must be
// whole frames, one or more.
func eachFrame(data []byte, fn func(body []byte) error) error {
	if len(data) == 0 {
		return fmt.Errorf("%w: an empty message", wire.ErrMalformed)
	}
	for len(data) > 0 {
		if len(data) < wire.HeaderSize {
			return fmt.Errorf("%w: a message that is not whole frames", wire.ErrMalformed)
		}
		n := wire.FrameSize(int(binary.BigEndian.Uint32(data)))
		if n > len(data) || n < wire.HeaderSize {
			return fmt.Errorf("%w: a message that is not whole frames", wire.ErrMalformed)
		}
		if err := fn(data[wire.HeaderSize:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// messageSpans appends the ids of the tasks of data, a message of frames
// of tasks, to dst.
func messageSpans(data []byte, dst []wire.Span, scratch *decoded) ([]wire.Span, error) {
	err := eachFrame(data, func(body []byte) error {
		var err error
		dst, err = taskSpans(body, dst, scratch)
		return err
	})
	return dst, err
}

// single is one task, in a Tasks frame of its own.
type single struct {
	id    uint64
	frame []byte
}

// singles returns the tasks of data, a message of frames of tasks, each
// alone in a frame of its own.
func singles(data []byte) ([]single, error) {
	var ts []wire.Task
	err := eachFrame(data, func(body []byte) error {
		typ, err := wire.PeekType(body)
		if err != nil {
			return err
		}
		switch typ {
		case wire.TypeCalls:
			var c wire.Calls
			if err := wire.DecodeCalls(body, &c); err != nil {
				return err
			}
			for k, a := range c.Args {
				ts = append(ts, wire.Task{ID: c.First + uint64(k), Func: c.Func, Bound: c.Bound, Args: a})
			}
		case wire.TypeTasks:
			if ts, err = wire.DecodeTasks(body, ts); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: %s where tasks were expected", wire.ErrMalformed, typ)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]single, len(ts))
	for i := range ts {
		out[i].id = ts[i].ID
		if out[i].frame, err = wire.AppendTasks(nil, ts[i:i+1]); err != nil {
			return nil, err
		}
	}
	return out, nil
}
