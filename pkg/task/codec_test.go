package task

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// decodeAnySamples are encodings of every scalar form and of values that
// take the reflective path, written by the msgpack library itself.
func decodeAnySamples(t testing.TB) [][]byte {
	values := []any{
		nil, true, false,
		0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, uint64(math.MaxUint32) + 1, uint64(math.MaxUint64),
		-1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, int64(math.MinInt32) - 1, int64(math.MinInt64),
		float32(1.5), 1.25, math.Inf(-1),
		"", "a", strings.Repeat("s", 31), strings.Repeat("s", 32), strings.Repeat("s", 255), strings.Repeat("s", 256), strings.Repeat("s", 70000),
		[]byte{}, []byte{1, 2}, bytes.Repeat([]byte{7}, 256), bytes.Repeat([]byte{7}, 70000),
		[]any{1, "x"}, map[string]any{"k": 1},
	}
	var out [][]byte
	for _, v := range values {
		b, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	for _, v := range []any{int8(-5), int16(300), int32(70000), uint16(300), uint32(70000)} {
		var buf bytes.Buffer
		enc := msgpack.NewEncoder(&buf) // not compact: the typed forms
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		out = append(out, buf.Bytes())
	}
	return out
}

// DecodeAny gives what Unmarshal into an empty interface gives: the same
// Go types and values.
func TestDecodeAnyMatchesUnmarshal(t *testing.T) {
	for _, raw := range decodeAnySamples(t) {
		checkDecodeAny(t, raw)
	}
}

func FuzzDecodeAny(f *testing.F) {
	for _, raw := range decodeAnySamples(f) {
		f.Add(raw)
	}
	f.Add([]byte{0xc4, 3, 1}) // bin 8 shorter than it says
	f.Add([]byte{0x01, 0x02}) // a value and a trailing byte
	f.Fuzz(func(t *testing.T, raw []byte) {
		if _, ok := decodeScalar(raw); !ok {
			return // Unmarshal's own behaviour, nothing of ours
		}
		checkDecodeAny(t, raw)
	})
}

func checkDecodeAny(t *testing.T, raw []byte) {
	t.Helper()
	var want any
	werr := Unmarshal(raw, &want)
	got, err := DecodeAny(raw)
	if (err != nil) != (werr != nil) {
		t.Fatalf("% x: DecodeAny error %v, Unmarshal error %v", raw[:min(len(raw), 16)], err, werr)
	}
	if reflect.TypeOf(got) != reflect.TypeOf(want) || !reflect.DeepEqual(got, want) && !isNaN(got) {
		t.Fatalf("% x: DecodeAny = %#v (%T), Unmarshal = %#v (%T)", raw[:min(len(raw), 16)], got, got, want, want)
	}
}

func isNaN(v any) bool {
	switch f := v.(type) {
	case float32:
		return f != f
	case float64:
		return f != f
	}
	return false
}

// ScalarInt agrees with DecodeAny: what it calls a scalar decodes to one,
// and what it calls an integer decodes to that integer.
func TestScalarIntMatchesDecodeAny(t *testing.T) {
	for _, raw := range decodeAnySamples(t) {
		checkScalarInt(t, raw)
	}
	if _, _, scalar := ScalarInt([]byte{0x92, 0x01, 0xa1, 'x'}); scalar {
		t.Error("an array is called a scalar")
	}
}

func FuzzScalarInt(f *testing.F) {
	for _, raw := range decodeAnySamples(f) {
		f.Add(raw)
	}
	f.Add([]byte{0xcb, 0, 0}) // float 64 cut short
	f.Add([]byte{0xc0, 0xc0}) // nil and a trailing byte
	f.Fuzz(checkScalarInt)
}

func checkScalarInt(t *testing.T, raw []byte) {
	t.Helper()
	n, isInt, scalar := ScalarInt(raw)
	_, decodedScalar := decodeScalar(raw)
	if scalar != decodedScalar {
		t.Fatalf("% x: ScalarInt scalar %v, decodeScalar %v", raw[:min(len(raw), 16)], scalar, decodedScalar)
	}
	if !scalar {
		// Not handed to the reflective decoder: unchecked container
		// headers make it allocate what they declare (brine checks raw
		// values with the wire package before it decodes them).
		return
	}
	v, err := DecodeAny(raw)
	if err != nil {
		t.Fatalf("% x: ScalarInt calls it a scalar, DecodeAny fails: %v", raw[:min(len(raw), 16)], err)
	}
	want, wantInt := int64(0), true
	switch rv := reflect.ValueOf(v); {
	case rv.CanInt():
		want = rv.Int()
	case rv.CanUint():
		want = int64(rv.Uint()) // wrapping, as ScalarInt says
	default:
		wantInt = false
	}
	if isInt != wantInt || n != want {
		t.Fatalf("% x: ScalarInt = %d, %v; DecodeAny = %#v (%T)", raw[:min(len(raw), 16)], n, isInt, v, v)
	}
}
