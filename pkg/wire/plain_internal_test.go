package wire

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// plainSeeds are results in every width of id and time, with values of
// every scalar family, and elements that are not plain.
func plainSeeds() [][]byte {
	values := [][]byte{
		{0x00}, {0x7f}, {0xe0}, {0xc0}, {0xc2}, {0xc3}, {0xcc, 1}, {0xd0, 0xff}, {0xcd, 1, 2}, {0xd1, 1, 2},
		{0xca, 1, 2, 3, 4}, {0xce, 1, 2, 3, 4}, {0xd2, 1, 2, 3, 4}, {0xcb, 1, 2, 3, 4, 5, 6, 7, 8},
		{0xcf, 1, 2, 3, 4, 5, 6, 7, 8}, {0xd3, 1, 2, 3, 4, 5, 6, 7, 8},
		AppendString(nil, ""), AppendString(nil, "hi"), AppendString(nil, strings.Repeat("s", 40)),
		AppendString(nil, strings.Repeat("s", 300)), AppendBinary(nil, nil), AppendBinary(nil, []byte("abc")),
		AppendBinary(nil, bytes.Repeat([]byte{1}, 70000)),
		{0x92, 1, 2}, {0x81, 1, 2}, {0xd4, 1, 2}, {0xc1}, // not scalars, or not valid
	}
	var seeds [][]byte
	for _, id := range []uint64{0, 5, 200, 70000, 1 << 40} {
		for _, v := range values {
			seeds = append(seeds, AppendResult(nil, &Result{ID: id, Value: v, Nanos: id * 3}))
		}
	}
	return append(seeds,
		AppendResult(nil, &Result{ID: 9, Err: &Error{Kind: KindError, Message: "no"}, Nanos: 4}),
		AppendLaneResult(nil, 9, 4, Ref{Pos: 1, Len: 2}),
		[]byte{0x94, 0xd0, 0xff, 0x01, 0xc0, 0x01},                   // a negative id
		[]byte{0x94, 0x01, 0x01, 0xc0, 0xd3, 0, 0, 0, 0, 0, 0, 0, 1}, // a time in a signed int
		[]byte{0x94, 0x01, 0xc4, 0x05, 0x01, 0xc0, 0x01},             // a binary cut short
		[]byte{0x94, 0x01, 0x01, 0xc0},                               // no time
		[]byte{0x94, 0xcf, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0},
	)
}

// What plainResult reads, result reads alike, and what plainArray and
// scalarLen measure, the decoder's walk reads alike; what they do not read,
// they leave to the decoder.
func FuzzPlain(f *testing.F) {
	for _, s := range plainSeeds() {
		f.Add(s)
		f.Add(s[1:]) // from the id on: arrays and scalars
	}
	for _, s := range [][]byte{{0x90}, {0x91, 0xc4, 0x00}, {0x92, 0x01, 0xa2, 'h', 'i'}, {0x92, 0x01, 0x91, 0x01}, {0x9f}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkPlain(t, b)
		checkPlainArray(t, b)
	})
}

// checkPlainArray checks scalarLen, plainArray and plainLen, raw's short
// way, against the decoder's walk of b.
func checkPlainArray(t *testing.T, b []byte) {
	t.Helper()
	d := decoder{b: b}
	walked := -1 // what the walk reads, or -1 if it refuses b
	if d.skip(0) == nil {
		walked = d.i
	}
	for _, m := range []struct {
		name string
		n    int
	}{{"scalarLen", scalarLen(b)}, {"plainArray", plainArray(b)}, {"plainLen", plainLen(b)}} {
		if m.n > 0 && m.n != walked {
			t.Fatalf("% x: %s measured %d bytes, the walk read %d (-1: refused)", b, m.name, m.n, walked)
		}
	}
}

func TestPlainResult(t *testing.T) {
	plain := 0
	for _, s := range plainSeeds() {
		if checkPlain(t, s) {
			plain++
		}
	}
	// Of the 5 ids × 26 values, 23 values are plain scalars.
	if plain != 5*23 {
		t.Fatalf("%d seeds read as plain results, want %d", plain, 5*23)
	}
	for _, c := range []struct {
		b []byte
		n int
	}{{[]byte{0x90}, 1}, {[]byte{0x91, 0xc4, 0x00}, 3}, {[]byte{0x92, 0x01, 0xa2, 'h', 'i', 0xff}, 5},
		{[]byte{0x92, 0x01, 0x91, 0x01}, 0}, {[]byte{0x92, 0x01}, 0}, {[]byte{0x01}, 0}} {
		if n := plainArray(c.b); n != c.n {
			t.Errorf("plainArray(% x) = %d, want %d", c.b, n, c.n)
		}
		checkPlainArray(t, c.b)
	}
	if _, i := plainUint([]byte{0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 0); i != 9 {
		t.Fatalf("a uint 64 read to %d", i)
	}
	if v, _ := plainUint([]byte{0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 0); v != math.MaxUint64 {
		t.Fatalf("a uint 64 of all ones read as %d", v)
	}
}

// checkPlain checks plainResult against result on b, and reports whether
// b begins with a plain result.
func checkPlain(t *testing.T, b []byte) bool {
	t.Helper()
	quick := decoder{b: b}
	var q Result
	if !quick.plainResult(&q) {
		if quick.i != 0 {
			t.Fatalf("% x: plainResult refused it but read %d bytes", b, quick.i)
		}
		return false
	}
	slow := decoder{b: b}
	var r Result
	if err := slow.result(&r); err != nil {
		t.Fatalf("% x: plainResult read %+v, result refuses it: %v", b, q, err)
	}
	if q.ID != r.ID || !bytes.Equal(q.Value, r.Value) || q.Err != nil || r.Err != nil || q.Nanos != r.Nanos ||
		!q.Lane.IsZero() || !r.Lane.IsZero() || quick.i != slow.i {
		t.Fatalf("% x: plainResult read %+v to byte %d, result %+v to byte %d", b, q, quick.i, r, slow.i)
	}
	return true
}
