package wire

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

var (
	intBoundaries = []int64{
		0, 1, 31, 32, 127, 128, 255, 256, 32767, 32768, 65535, 65536,
		math.MaxInt32, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64,
		-1, -31, -32, -33, -127, -128, -129, -32767, -32768, -32769,
		math.MinInt32 + 1, math.MinInt32, math.MinInt32 - 1, math.MinInt64 + 1, math.MinInt64,
	}
	uintBoundaries = []uint64{
		0, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1,
		math.MaxInt64, math.MaxInt64 + 1, math.MaxUint64,
	}
)

// libEncodings returns the encodings the msgpack library gives v: compact
// (smallest width, as our encoder) and as each Go integer type that holds v
// (the library then keeps the type's width: int64 → 0xd3, uint16 → 0xcd…).
func libEncodings(t *testing.T, v any) (compact []byte, typed [][]byte) {
	t.Helper()
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.UseCompactInts(true)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	compact = bytes.Clone(buf.Bytes())
	var as []any
	switch v := v.(type) {
	case int64:
		as = append(as, v)
		if v >= math.MinInt8 && v <= math.MaxInt8 {
			as = append(as, int8(v))
		}
		if v >= math.MinInt16 && v <= math.MaxInt16 {
			as = append(as, int16(v))
		}
		if v >= math.MinInt32 && v <= math.MaxInt32 {
			as = append(as, int32(v))
		}
		if v >= 0 {
			as = append(as, uint64(v))
		}
	case uint64:
		as = append(as, v)
		if v <= math.MaxUint8 {
			as = append(as, uint8(v))
		}
		if v <= math.MaxUint16 {
			as = append(as, uint16(v))
		}
		if v <= math.MaxUint32 {
			as = append(as, uint32(v))
		}
	}
	for _, x := range as {
		b, err := msgpack.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		typed = append(typed, b)
	}
	return compact, typed
}

// TestIntsAgreeWithMsgpack: our encodings are the library's compact ones and
// decode with it, and we decode every width the library writes.
func TestIntsAgreeWithMsgpack(t *testing.T) {
	for _, v := range intBoundaries {
		ours := AppendInt(nil, v)
		var back int64
		if err := msgpack.Unmarshal(ours, &back); err != nil || back != v {
			t.Errorf("msgpack reads our %d (% x) as %d, %v", v, ours, back, err)
		}
		compact, typed := libEncodings(t, v)
		if !bytes.Equal(ours, compact) {
			t.Errorf("AppendInt(%d) = % x, msgpack compact % x", v, ours, compact)
		}
		for _, b := range append(typed, compact) {
			d := decoder{b: b}
			got, err := d.int()
			if err != nil || got != v || d.left() != 0 {
				t.Errorf("int() of msgpack's % x = %d, %v, %d left; want %d", b, got, err, d.left(), v)
			}
			d = decoder{b: b}
			u, err := d.uint()
			switch {
			case v < 0 && !errors.Is(err, ErrMalformed):
				t.Errorf("uint() of negative % x = %d, %v; want ErrMalformed", b, u, err)
			case v >= 0 && (err != nil || u != uint64(v)):
				t.Errorf("uint() of % x = %d, %v; want %d", b, u, err, v)
			}
		}
	}
	for _, v := range uintBoundaries {
		ours := appendUint(nil, v)
		var back uint64
		if err := msgpack.Unmarshal(ours, &back); err != nil || back != v {
			t.Errorf("msgpack reads our %d (% x) as %d, %v", v, ours, back, err)
		}
		compact, typed := libEncodings(t, v)
		if !bytes.Equal(ours, compact) {
			t.Errorf("appendUint(%d) = % x, msgpack compact % x", v, ours, compact)
		}
		for _, b := range append(typed, compact) {
			d := decoder{b: b}
			if got, err := d.uint(); err != nil || got != v || d.left() != 0 {
				t.Errorf("uint() of msgpack's % x = %d, %v; want %d", b, got, err, v)
			}
			d = decoder{b: b}
			got, err := d.int()
			if v > math.MaxInt64 {
				if !errors.Is(err, ErrMalformed) {
					t.Errorf("int() of % x = %d, %v; want ErrMalformed (overflow)", b, got, err)
				}
			} else if err != nil || got != int64(v) {
				t.Errorf("int() of % x = %d, %v; want %d", b, got, err, v)
			}
		}
	}
}

func TestStringsAndArraysAgreeWithMsgpack(t *testing.T) {
	for _, n := range []int{0, 1, 31, 32, 255, 256, 65535, 65536, 70000} {
		s := strings.Repeat("x", n)
		ours := AppendString(nil, s)
		lib, _ := msgpack.Marshal(s)
		if !bytes.Equal(ours, lib) {
			t.Errorf("appendStr of %d bytes: header % x, msgpack % x", n, ours[:min(5, len(ours))], lib[:min(5, len(lib))])
		}
		libBin, _ := msgpack.Marshal([]byte(s))
		for _, b := range [][]byte{lib, libBin} {
			d := decoder{b: b}
			if got, err := d.str(); err != nil || got != s || d.left() != 0 {
				t.Errorf("str() of a %d-byte msgpack str/bin (0x%02x): %d bytes, %v", n, b[0], len(got), err)
			}
		}
		arr := appendArrayLen(nil, n)
		for range n {
			arr = appendNil(arr)
		}
		var got []any
		if err := msgpack.Unmarshal(arr, &got); err != nil || len(got) != n {
			t.Errorf("msgpack reads our array of %d as %d elements, %v", n, len(got), err)
		}
		d := decoder{b: arr}
		if got, err := d.arrayLen(); err != nil || got != n {
			t.Errorf("arrayLen() of our array of %d = %d, %v", n, got, err)
		}
	}
}

// TestSkipAgreesWithMsgpack checks that raw() takes exactly the bytes of
// each kind of value, as the library's encoder writes it.
func TestSkipAgreesWithMsgpack(t *testing.T) {
	ext := func(code byte, n int, lenBytes ...byte) []byte { // ext header, type 5, n payload bytes
		return append(append(append([]byte{code}, lenBytes...), 5), bytes.Repeat([]byte{0xee}, n)...)
	}
	values := []any{
		nil, true, false, float32(1.5), math.Pi, int8(-3), uint64(1 << 60), int64(math.MinInt64),
		"", strings.Repeat("s", 40), strings.Repeat("s", 300), strings.Repeat("s", 70000),
		[]byte{}, make([]byte, 300), make([]byte, 70000),
		[]any{}, make([]any, 20), make([]any, 70000), []any{[]any{1, "a"}, map[string]any{"k": []any{nil}}},
		map[string]any{}, map[string]int{"a": 1, "b": 2}, bigMap(20), bigMap(70000),
		time.Unix(1, 0), time.Unix(1<<33, 5), time.Unix(1<<40, 1),
	}
	var encs [][]byte
	for _, v := range values {
		b, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		encs = append(encs, b)
	}
	encs = append(encs,
		ext(0xd4, 1), ext(0xd5, 2), ext(0xd6, 4), ext(0xd7, 8), ext(0xd8, 16),
		ext(0xc7, 3, 3), ext(0xc8, 300, 1, 44), ext(0xc9, 70000, 0, 1, 0x11, 0x70),
		[]byte{0xdc, 0, 1, 0xc0}, []byte{0xdd, 0, 0, 0, 1, 0xc0}, // wide headers, few elements
		[]byte{0xde, 0, 1, 0xc0, 0xc0}, []byte{0xdf, 0, 0, 0, 1, 0xc0, 0xc0},
	)
	for _, b := range encs {
		in := append(bytes.Clone(b), 0xc1) // a byte that must not be taken
		d := decoder{b: in}
		got, err := d.raw()
		if err != nil || len(got) != len(b) {
			t.Errorf("raw() of % x…: took %d bytes, %v; want %d", b[:min(len(b), 8)], len(got), err, len(b))
		}
		lib := msgpack.NewDecoder(bytes.NewReader(b))
		if err := lib.Skip(); err != nil {
			t.Errorf("msgpack cannot skip test value % x…: %v", b[:min(len(b), 8)], err)
		}
	}
}

func bigMap(n int) map[string]any {
	m := make(map[string]any, n)
	for i := range n {
		m[fmt.Sprint(i)] = i
	}
	return m
}

// TestShapeOfEveryTypeByte compares, for each of the 256 leading bytes,
// how many bytes our skip and the library's Skip take from the same input.
func TestShapeOfEveryTypeByte(t *testing.T) {
	for c := range 256 {
		in := append([]byte{byte(c)}, make([]byte, 40)...)
		switch byte(c) { // a length of 1 where there is one
		case 0xc4, 0xc7, 0xd9:
			in[1] = 1
		case 0xc5, 0xc8, 0xda, 0xdc, 0xde:
			in[2] = 1
		case 0xc6, 0xc9, 0xdb, 0xdd, 0xdf:
			in[4] = 1
		}
		d := decoder{b: in}
		err := d.skip(0)
		r := bytes.NewReader(in)
		libErr := msgpack.NewDecoder(r).Skip()
		if c == 0xc1 {
			if !errors.Is(err, ErrMalformed) || libErr == nil {
				t.Errorf("0xc1: skip %v, msgpack %v; want both to fail", err, libErr)
			}
			continue
		}
		if err != nil || libErr != nil {
			t.Errorf("0x%02x: skip %v, msgpack %v", c, err, libErr)
			continue
		}
		if libTook := len(in) - r.Len(); d.i != libTook {
			t.Errorf("0x%02x: skip took %d bytes, msgpack %d", c, d.i, libTook)
		}
	}
}

// TestDepth checks MaxDepth at its edge, for arrays and maps, and that a
// body far deeper is refused without deep recursion.
func TestDepth(t *testing.T) {
	nest := func(open []byte, k int, leaf ...byte) []byte {
		return append(bytes.Repeat(open, k), leaf...)
	}
	for _, c := range []struct {
		name string
		open []byte
	}{{"array", []byte{0x91}}, {"map", []byte{0x81, 0x00}}} {
		ok := nest(c.open, MaxDepth, 0x01)
		d := decoder{b: ok}
		if _, err := d.raw(); err != nil || d.left() != 0 {
			t.Errorf("%s nested %d deep: %v", c.name, MaxDepth, err)
		}
		for _, k := range []int{MaxDepth + 1, 10000} {
			d = decoder{b: nest(c.open, k, 0x01)}
			if _, err := d.raw(); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "nesting") {
				t.Errorf("%s nested %d deep: %v, want ErrMalformed (nesting)", c.name, k, err)
			}
		}
	}
}
