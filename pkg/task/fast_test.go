package task

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/brinehq/brine/pkg/wire"
)

// fastValues has values of every fast-path type at the edges of each
// encoding's size class.
var fastValues = []any{
	[]byte(nil), []byte{}, []byte{1}, bytes.Repeat([]byte{2}, 255), bytes.Repeat([]byte{3}, 256),
	bytes.Repeat([]byte{4}, 65535), bytes.Repeat([]byte{5}, 65536),
	"", "x", strings.Repeat("s", 31), strings.Repeat("s", 32), strings.Repeat("s", 255),
	strings.Repeat("s", 256), strings.Repeat("s", 65535), strings.Repeat("s", 65536),
	0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64,
	-1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64,
	int64(0), int64(-200), int64(math.MaxInt64), int64(math.MinInt64),
	true, false,
}

// The fast encoders write exactly what AppendValue writes.
func TestAppendFastMatchesAppendValue(t *testing.T) {
	for _, v := range fastValues {
		want, err := AppendValue([]byte{0x91}, v)
		if err != nil {
			t.Fatal(err)
		}
		p := reflect.New(reflect.TypeOf(v))
		p.Elem().Set(reflect.ValueOf(v))
		got, ok := appendFast([]byte{0x91}, p.Interface())
		if !ok || !bytes.Equal(got, want) {
			t.Errorf("%T %.20v: appendFast = % x… (ok %v), AppendValue = % x…", v, v, head(got), ok, head(want))
		}
	}
	if _, ok := appendFast(nil, new(float64)); ok {
		t.Error("appendFast took a float64, which has no fast path")
	}
}

// decodeArg decodes every encoding into every fast-path type exactly as
// Unmarshal does, taking its fast path only where the families match.
func TestDecodeArgMatchesUnmarshal(t *testing.T) {
	var encodings [][]byte
	for _, v := range append(fastValues, nil, 1.5, float32(2.5), []any{1}, map[string]any{"a": 1}, uint64(math.MaxUint64)) {
		raw, err := AppendValue(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		encodings = append(encodings, raw)
	}
	encodings = append(encodings, []byte{0xd0, 0x80}, []byte{0xd1, 0, 1}, []byte{0xc4, 5, 1}, []byte{0x01, 0x02})
	for _, raw := range encodings {
		checkDecodeArg[[]byte](t, raw)
		checkDecodeArg[string](t, raw)
		checkDecodeArg[int](t, raw)
		checkDecodeArg[int64](t, raw)
		checkDecodeArg[bool](t, raw)
	}
}

func checkDecodeArg[A any](t *testing.T, raw []byte) {
	t.Helper()
	var want A
	werr := Unmarshal(raw, &want)
	got, err := decodeArg[A](raw)
	if (err != nil) != (werr != nil) || werr == nil && !reflect.DeepEqual(got, want) {
		t.Errorf("% x… into %T: decodeArg = %.20v, %v; Unmarshal = %.20v, %v", head(raw), want, got, err, want, werr)
	}
}

func head(b []byte) []byte { return b[:min(len(b), 8)] }

func FuzzDecodeArg(f *testing.F) {
	for _, v := range fastValues[:20] {
		raw, _ := AppendValue(nil, v)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if wire.CheckValue(raw) != nil {
			return // Unmarshal is only ever given checked values
		}
		checkDecodeArg[[]byte](t, raw)
		checkDecodeArg[string](t, raw)
		checkDecodeArg[int64](t, raw)
		checkDecodeArg[bool](t, raw)
	})
}
