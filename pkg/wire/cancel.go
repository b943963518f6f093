package wire

import "fmt"

// Span is a range of task ids, First to Last inclusive.
type Span struct {
	First, Last uint64
}

// Has reports whether task id is in the span.
func (s Span) Has(id uint64) bool { return id >= s.First && id <= s.Last }

// AppendCancel appends a Cancel frame naming the tasks of spans to b: the
// worker skips those it has yet to run, answering each as cancelled, and
// cancels the context of the one it runs (docs/PROTOCOL.md §5.2). A span
// whose Last is before its First is sent as it is, and names no task. On
// error (a frame over MaxFrame) b is returned unchanged.
func AppendCancel(b []byte, spans []Span) ([]byte, error) {
	b, start := beginFrame(b)
	b = appendArrayLen(b, 2)
	b = appendUint(b, uint64(TypeCancel))
	b = appendArrayLen(b, len(spans))
	for _, s := range spans {
		b = appendArrayLen(b, 2)
		b = appendUint(b, s.First)
		b = appendUint(b, s.Last)
	}
	return endFrame(b, start, 0)
}

// DecodeCancel decodes a Cancel body, appending its spans to dst.
func DecodeCancel(body []byte, dst []Span) ([]Span, error) {
	var d decoder
	if err := d.open(body, TypeCancel, 2); err != nil {
		return dst, err
	}
	n, err := d.arrayLen() // bounded by the bytes left
	if err != nil {
		return dst, err
	}
	for range n {
		m, err := d.arrayLen()
		if err != nil {
			return dst, err
		}
		if m < 2 {
			return dst, d.fail(fmt.Sprintf("span of %d elements, want 2", m))
		}
		var s Span
		if s.First, err = d.uint(); err != nil {
			return dst, err
		}
		if s.Last, err = d.uint(); err != nil {
			return dst, err
		}
		for range m - 2 { // extra elements are ignored (docs/PROTOCOL.md §8)
			if err := d.skip(0); err != nil {
				return dst, err
			}
		}
		dst = append(dst, s)
	}
	return dst, nil
}
