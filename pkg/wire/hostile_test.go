package wire_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/brinehq/brine/pkg/wire"
)

// allocated returns the bytes f allocates, averaged over a few runs.
func allocated(f func()) uint64 {
	const runs = 8
	f() // warm up lazily initialised state
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}

func frameOf(n uint32, payload ...byte) []byte {
	return append([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, payload...)
}

// TestReaderHostile: every bad stream gives the right sentinel, and a
// declared length costs nothing until its bytes arrive.
func TestReaderHostile(t *testing.T) {
	for _, c := range []struct {
		name     string
		stream   []byte
		want     error
		maxAlloc uint64 // bytes, for NewReader (4 KiB of buffer) and Next together
	}{
		{"4 GiB declared", frameOf(0xffffffff), wire.ErrFrameTooLarge, 8 << 10},
		{"4 GiB declared, body following", frameOf(0xffffffff, make([]byte, 100)...), wire.ErrFrameTooLarge, 8 << 10},
		{"MaxFrame+1 declared", frameOf(wire.MaxFrame + 1), wire.ErrFrameTooLarge, 8 << 10},
		{"empty frame", frameOf(0), wire.ErrEmptyFrame, 8 << 10},
		{"1 header byte", []byte{0}, wire.ErrTruncated, 8 << 10},
		{"3 header bytes", []byte{0, 0, 1}, wire.ErrTruncated, 8 << 10},
		{"truncated body", frameOf(10, 0x92, 0x03, 0x90), wire.ErrTruncated, 8 << 10},
		{"60 MiB declared, 10 bytes sent", frameOf(60<<20, make([]byte, 10)...), wire.ErrTruncated, 4<<20 + 16<<10},
		// The buffer doubles as bytes arrive: 4, then 8 MiB for 5 MiB.
		{"MaxFrame declared, 5 MiB sent", frameOf(wire.MaxFrame, make([]byte, 5<<20)...), wire.ErrTruncated, 12<<20 + 16<<10},
	} {
		var err error
		n := allocated(func() { _, err = wire.NewReader(bytes.NewReader(c.stream), 0, 0).Next() })
		if !errors.Is(err, c.want) {
			t.Errorf("%s: Next() = %v, want %v", c.name, err, c.want)
		}
		if n > c.maxAlloc {
			t.Errorf("%s: allocated %d bytes, want at most %d", c.name, n, c.maxAlloc)
		}
	}
}

func TestReaderStream(t *testing.T) {
	var stream []byte
	stream = append(stream, frameOf(0)...) // an empty frame is an error, but not the end
	stream = wire.AppendShutdown(stream)
	stream = append(stream, frameOf(5, 1, 2, 3, 4, 5)...)
	big := bytes.Repeat([]byte{0xab}, 9<<20/2+7) // grows the body buffer past its first step
	stream = append(stream, frameOf(uint32(len(big)), big...)...)
	want := []struct {
		body []byte
		err  error
	}{{nil, wire.ErrEmptyFrame}, {[]byte{0x91, 0x05}, nil}, {[]byte{1, 2, 3, 4, 5}, nil}, {big, nil}, {nil, io.EOF}}
	for name, r := range map[string]io.Reader{
		"bytes":     bytes.NewReader(stream),
		"one byte":  iotest.OneByteReader(bytes.NewReader(stream)),
		"half":      iotest.HalfReader(bytes.NewReader(stream)),
		"data+err":  iotest.DataErrReader(bytes.NewReader(stream)),
		"small buf": bufioLess(stream),
	} {
		fr := wire.NewReader(r, 1, 0)
		var prev []byte
		for i, w := range want {
			got, err := fr.Next()
			if !errors.Is(err, w.err) || !bytes.Equal(got, w.body) {
				t.Fatalf("%s: frame %d: %d bytes, %v; want %d bytes, %v", name, i, len(got), err, len(w.body), w.err)
			}
			if len(prev) > 0 && len(got) > 0 {
				prev[0] ^= 0xff // the caller owns each body: no aliasing
				if got[0] != w.body[0] {
					t.Fatalf("%s: frame %d aliases the previous one", name, i)
				}
			}
			prev = got
		}
	}
}

// bufioLess returns a reader that yields at most 3 bytes per Read.
func bufioLess(b []byte) io.Reader { return &chunkReader{b: b, n: 3} }

type chunkReader struct {
	b []byte
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[k:]
	return k, nil
}

func TestReaderMax(t *testing.T) {
	stream := append(frameOf(100, make([]byte, 100)...), frameOf(101, make([]byte, 101)...)...)
	r := wire.NewReader(bytes.NewReader(stream), 0, 100)
	if b, err := r.Next(); err != nil || len(b) != 100 {
		t.Errorf("frame of exactly max: %d bytes, %v", len(b), err)
	}
	if _, err := r.Next(); !errors.Is(err, wire.ErrFrameTooLarge) || !strings.Contains(err.Error(), "101 > 100") {
		t.Errorf("frame of max+1: %v, want ErrFrameTooLarge", err)
	}
}

// TestReaderStreamError: an error of the stream itself is returned as is,
// not disguised as a truncated frame.
func TestReaderStreamError(t *testing.T) {
	boom := errors.New("boom")
	for _, prefix := range [][]byte{nil, {0, 0}, frameOf(10, 1, 2)} {
		r := wire.NewReader(io.MultiReader(bytes.NewReader(prefix), iotest.ErrReader(boom)), 0, 0)
		if _, err := r.Next(); !errors.Is(err, boom) || errors.Is(err, wire.ErrTruncated) {
			t.Errorf("after % x: %v, want boom", prefix, err)
		}
	}
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// A tasks body up to the Bound field of its only task, and a results body up
// to the Value field of its only result.
var (
	taskHead   = unhex("92 03 91 94 01 a1 66")
	resultHead = unhex("92 04 91 94 01")
	deep       = bytes.Repeat([]byte{0x91}, 10000)
)

// decoders are the entry points that parse a body.
var decoders = map[string]func([]byte) error{
	"PeekType":      func(b []byte) error { _, err := wire.PeekType(b); return err },
	"DecodeHello":   func(b []byte) error { _, err := wire.DecodeHello(b); return err },
	"DecodeWelcome": func(b []byte) error { _, err := wire.DecodeWelcome(b); return err },
	"DecodeTasks":   func(b []byte) error { _, err := wire.DecodeTasks(b, nil); return err },
	"DecodeResults": func(b []byte) error { _, err := wire.DecodeResults(b, nil); return err },
	"DecodeCalls":   func(b []byte) error { var c wire.Calls; return wire.DecodeCalls(b, &c) },
}

var allDecoders = []string{"PeekType", "DecodeHello", "DecodeWelcome", "DecodeTasks", "DecodeResults", "DecodeCalls"}

// hostileBodies must each make the listed decoders fail with ErrMalformed.
var hostileBodies = []struct {
	name string
	body []byte
	fail []string // nil: all decoders
}{
	{"empty body", nil, nil},
	{"not an array", []byte{0x03}, nil},
	{"reserved byte 0xc1", []byte{0xc1}, nil},
	{"map instead of array", unhex("81 03 90"), nil},
	{"HTTP", []byte("GET / HTTP/1.1\r\n\r\n"), nil},
	{"JSON", []byte(`[3,[[1,"f",null,null]]]`), nil},
	{"empty array", []byte{0x90}, nil},
	{"empty array, a type after it", []byte{0x90, 0x03}, nil},
	{"negative type", unhex("92 ff 90"), nil},
	{"type 259 is not 3", unhex("92 cd 01 03 dd 00 00 00 00"), nil},
	{"array32 header, 4G elements", unhex("dd ff ff ff ff 03"), nil},
	{"10000 nested arrays", deep, nil},
	{"tasks declaring 4G tasks", unhex("93 03 dd ff ff ff ff"), []string{"DecodeTasks"}},
	{"tasks declaring 65535 tasks", unhex("92 03 dc ff ff 90"), []string{"DecodeTasks"}},
	{"task of 4G fields", unhex("92 03 91 dd ff ff ff ff"), []string{"DecodeTasks"}},
	{"map32 in Args", cat(taskHead, unhex("c0 df ff ff ff ff")), []string{"DecodeTasks"}},
	{"map16 in Args", cat(taskHead, unhex("c0 91 de ff ff 01 02")), []string{"DecodeTasks"}},
	{"array32 in Bound", cat(taskHead, unhex("dd ff ff ff ff c0")), []string{"DecodeTasks"}},
	{"str32 Func", unhex("92 03 91 94 01 db ff ff ff ff"), []string{"DecodeTasks"}},
	{"str8 Func past the end", unhex("92 03 91 94 01 d9 20 61 62"), []string{"DecodeTasks"}},
	{"bin32 Func", unhex("92 03 91 94 01 c6 7f ff ff ff"), []string{"DecodeTasks"}},
	{"str32 in Args", cat(taskHead, unhex("c0 91 db ff ff ff ff")), []string{"DecodeTasks"}},
	{"bin32 in Args", cat(taskHead, unhex("c0 91 c6 ff ff ff ff")), []string{"DecodeTasks"}},
	{"ext32 in Args", cat(taskHead, unhex("c0 91 c9 ff ff ff ff 01")), []string{"DecodeTasks"}},
	{"fixext16 short", cat(taskHead, unhex("c0 d8 01 02")), []string{"DecodeTasks"}},
	{"10000 nested arrays in Args", cat(taskHead, []byte{0xc0}, deep, []byte{0x01}), []string{"DecodeTasks"}},
	{"10000 nested maps in Bound", cat(taskHead, bytes.Repeat([]byte{0x81, 0x00}, 10000), unhex("00 c0")), []string{"DecodeTasks"}},
	{"0xc1 in Args", cat(taskHead, unhex("c0 92 01 c1")), []string{"DecodeTasks"}},
	{"Func not a string", unhex("92 03 91 94 01 01 c0 c0"), []string{"DecodeTasks"}},
	{"negative task id, fixint", unhex("92 03 91 94 ff a1 66 c0 c0"), []string{"DecodeTasks"}},
	{"negative task id, int8", unhex("92 03 91 94 d0 ff a1 66 c0 c0"), []string{"DecodeTasks"}},
	{"negative task id, int64", unhex("92 03 91 94 d3 80 00 00 00 00 00 00 00 a1 66 c0 c0"), []string{"DecodeTasks"}},
	{"task id a float", unhex("92 03 91 94 cb 3f f0 00 00 00 00 00 00 a1 66 c0 c0"), []string{"DecodeTasks"}},
	{"tasks message of 1 element", unhex("91 03"), []string{"DecodeTasks"}},
	{"task of 3 fields", unhex("92 03 91 93 01 a1 66 c0"), []string{"DecodeTasks"}},
	{"task not an array", unhex("92 03 91 01"), []string{"DecodeTasks"}},
	{"second task missing", unhex("92 03 92 94 01 a1 66 c0 c0"), []string{"DecodeTasks"}},
	{"10000 nested arrays as Value", cat(resultHead, deep, unhex("01 c0 00")), []string{"DecodeResults"}},
	{"0xc1 as Value", cat(resultHead, unhex("c1 c0 00")), []string{"DecodeResults"}},
	{"map32 as Value", cat(resultHead, unhex("df ff ff ff ff c0 00")), []string{"DecodeResults"}},
	{"negative result id", unhex("92 04 91 94 ff c0 c0 00"), []string{"DecodeResults"}},
	{"negative Nanos", cat(resultHead, unhex("c0 c0 e0")), []string{"DecodeResults"}},
	{"results message of 1 element", unhex("91 04"), []string{"DecodeResults"}},
	{"result of 3 fields", cat(unhex("92 04 91 93 01"), unhex("c0 c0")), []string{"DecodeResults"}},
	{"error of 1 field", cat(resultHead, unhex("c0 91 a1 65 00")), []string{"DecodeResults"}},
	{"error not an array", cat(resultHead, unhex("c0 a1 65 00")), []string{"DecodeResults"}},
	{"error kind not a string", cat(resultHead, unhex("c0 93 01 a1 6d a0 00")), []string{"DecodeResults"}},
	{"error stack nil", cat(resultHead, unhex("c0 93 a1 6b a1 6d c0 00")), []string{"DecodeResults"}},
	{"error of 4G fields", cat(resultHead, unhex("c0 dd ff ff ff ff 00")), []string{"DecodeResults"}},
	{"hello of 3 elements", unhex("93 01 01 01"), []string{"DecodeHello"}},
	{"hello version overflows int64", unhex("94 01 cf ff ff ff ff ff ff ff ff 01 90"), []string{"DecodeHello"}},
	{"hello declaring 4G functions", unhex("94 01 01 01 dd ff ff ff ff"), []string{"DecodeHello"}},
	{"hello function not a string", unhex("94 01 01 01 91 c0"), []string{"DecodeHello"}},
	{"calls of 4 elements", unhex("94 06 01 a1 66 c0"), []string{"DecodeCalls"}},
	{"calls declaring 4G calls", unhex("95 06 01 a1 66 c0 dd ff ff ff ff"), []string{"DecodeCalls"}},
	{"calls ids past 2^64", unhex("95 06 cf ff ff ff ff ff ff ff ff a1 66 c0 92 90 90"), []string{"DecodeCalls"}},
	{"calls first id negative", unhex("95 06 ff a1 66 c0 91 90"), []string{"DecodeCalls"}},
	{"calls func not a string", unhex("95 06 01 01 c0 91 90"), []string{"DecodeCalls"}},
	{"calls args not an array", unhex("95 06 01 a1 66 c0 a1 61"), []string{"DecodeCalls"}},
	{"calls second args missing", unhex("95 06 01 a1 66 c0 92 90"), []string{"DecodeCalls"}},
	{"0xc1 in calls args", unhex("95 06 01 a1 66 c0 91 92 01 c1"), []string{"DecodeCalls"}},
	{"10000 nested arrays in calls bound", cat(unhex("95 06 01 a1 66"), deep, []byte{0x01}, unhex("90")), []string{"DecodeCalls"}},
	{"hello features not strings", unhex("95 01 01 01 90 91 01"), []string{"DecodeHello"}},
	{"welcome of 2 elements", unhex("92 02 01"), []string{"DecodeWelcome"}},
	{"welcome worker a string", unhex("93 02 01 a1 31"), []string{"DecodeWelcome"}},
}

func TestHostileBodies(t *testing.T) {
	for _, c := range hostileBodies {
		fail := c.fail
		if fail == nil {
			fail = allDecoders
		}
		for _, name := range fail {
			var err error
			n := allocated(func() { err = decoders[name](c.body) })
			if !errors.Is(err, wire.ErrMalformed) {
				t.Errorf("%s: %s = %v, want ErrMalformed", c.name, name, err)
			}
			if n > 64<<10 {
				t.Errorf("%s: %s allocated %d bytes", c.name, name, n)
			}
		}
		for _, name := range allDecoders { // the others must merely survive
			if n := allocated(func() { _ = decoders[name](c.body) }); n > 64<<10 {
				t.Errorf("%s: %s allocated %d bytes", c.name, name, n)
			}
		}
	}
}

// TestWrongType gives every message to every decoder but its own.
func TestWrongType(t *testing.T) {
	own := map[wire.Type]string{wire.TypeHello: "DecodeHello", wire.TypeWelcome: "DecodeWelcome",
		wire.TypeTasks: "DecodeTasks", wire.TypeResults: "DecodeResults", wire.TypeCalls: "DecodeCalls"}
	for _, c := range roundTrips {
		b := body(t, appendMsg(t, nil, c.msg))
		typ, _ := wire.PeekType(b)
		for _, name := range allDecoders[1:] {
			if name == own[typ] {
				continue
			}
			if err := decoders[name](b); !errors.Is(err, wire.ErrMalformed) {
				t.Errorf("%s given to %s: %v, want ErrMalformed", c.name, name, err)
			}
		}
	}
}

// TestTruncatedBodies cuts valid bodies at every byte: no prefix of a
// message is a message.
func TestTruncatedBodies(t *testing.T) {
	for _, c := range roundTrips {
		b := body(t, appendMsg(t, nil, c.msg))
		if len(b) > 4096 {
			continue
		}
		typ, _ := wire.PeekType(b)
		dec := map[wire.Type]string{wire.TypeHello: "DecodeHello", wire.TypeWelcome: "DecodeWelcome",
			wire.TypeTasks: "DecodeTasks", wire.TypeResults: "DecodeResults", wire.TypeShutdown: "PeekType",
			wire.TypeCalls: "DecodeCalls"}[typ]
		for n := range len(b) {
			if err := decoders[dec](b[:n]); !errors.Is(err, wire.ErrMalformed) {
				t.Errorf("%s cut to %d of %d bytes: %s = %v, want ErrMalformed", c.name, n, len(b), dec, err)
			}
		}
	}
}

// TestBadLaneRefs: a lane reference is nil or [pos, len > 0], and a task
// or result has its payload in the frame or in the lane, not both.
func TestBadLaneRefs(t *testing.T) {
	enc := func(v ...any) []byte { return marshalArray(t, v...) }
	for name, ref := range map[string]any{
		"string":         "lane",
		"one element":    []any{1},
		"three elements": []any{1, 2, 3},
		"zero length":    []any{7, 0},
		"negative":       []any{-1, 5},
		"float position": []any{1.5, 5},
	} {
		if _, err := wire.DecodeTasks(enc(3, []any{[]any{1, "f", nil, nil, ref}}), nil); !errors.Is(err, wire.ErrMalformed) {
			t.Errorf("task with lane %s: %v, want ErrMalformed", name, err)
		}
		if _, err := wire.DecodeResults(enc(4, []any{[]any{1, nil, nil, 0, ref}}), nil); !errors.Is(err, wire.ErrMalformed) {
			t.Errorf("result with lane %s: %v, want ErrMalformed", name, err)
		}
	}
	if _, err := wire.DecodeTasks(enc(3, []any{[]any{1, "f", nil, []any{1}, []any{0, 9}}}), nil); !errors.Is(err, wire.ErrMalformed) {
		t.Errorf("task with arguments in frame and lane: %v, want ErrMalformed", err)
	}
	if _, err := wire.DecodeResults(enc(4, []any{[]any{1, 5, nil, 0, []any{0, 9}}}), nil); !errors.Is(err, wire.ErrMalformed) {
		t.Errorf("result with a value in frame and lane: %v, want ErrMalformed", err)
	}
}

// marshalArray encodes v as one msgpack array, with the msgpack library.
func marshalArray(t *testing.T, v ...any) []byte {
	t.Helper()
	b, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestExtraElements: a newer peer may append fields to any message, task,
// result or error; they are skipped (PROTOCOL.md §8). The fifth element of
// a task or result is its lane reference (§5.1); extras follow it. Skipped
// does not mean unchecked: an extra field of a task or result must still
// be well formed, since the decoder walks it to find the next element.
func TestExtraElements(t *testing.T) {
	enc := func(v ...any) []byte { return marshalArray(t, v...) }
	extra := map[string]any{"since": "v2", "x": []any{1, 2.5, nil, []byte{1}}}
	b := enc(3, []any{
		[]any{1, "f", nil, []any{1}, nil, "new", extra},
		[]any{2, "g", []any{7}, nil},
	}, 1000, "top-level extra") // a Tasks message's third element is its spin (§5); extras follow it
	ts, spin, err := wire.DecodeTasksSpin(b, nil)
	want := []wire.Task{{ID: 1, Func: "f", Args: enc(1)}, {ID: 2, Func: "g", Bound: enc(7)}}
	if err != nil || !equalJSON(ts, want) || spin != time.Microsecond {
		t.Errorf("DecodeTasksSpin with extras = %+v spinning %v, %v", ts, spin, err)
	}
	b = enc(4, []any{
		[]any{1, 5, nil, 10, nil, true, extra},
		[]any{2, nil, []any{"k", "m", "s", "extra", extra}, 20},
		[]any{3, nil, []any{"k", "m"}, 30, nil, 1},
	}, extra)
	rs, err := wire.DecodeResults(b, nil)
	wantR := []wire.Result{{ID: 1, Value: []byte{0x05}, Nanos: 10},
		{ID: 2, Err: &wire.Error{Kind: "k", Message: "m", Stack: "s"}, Nanos: 20},
		{ID: 3, Err: &wire.Error{Kind: "k", Message: "m"}, Nanos: 30}}
	if err != nil || !equalJSON(rs, wantR) {
		t.Errorf("DecodeResults with extras = %+v, %v", rs, err)
	}
	// A Hello's fifth element is its features (§3); extras follow them.
	h, err := wire.DecodeHello(enc(1, 1, 99, []string{"a"}, []string{"calls", "later"}, "extra", extra))
	if err != nil || !equalJSON(h, wire.Hello{Version: 1, PID: 99, Funcs: []string{"a"}, Features: []string{"calls", "later"}}) {
		t.Errorf("DecodeHello with extras = %+v, %v", h, err)
	}
	if !h.Has(wire.FeatureCalls) || h.Has("nope") {
		t.Errorf("Hello.Has on %v: want calls and not nope", h.Features)
	}
	if _, err := wire.DecodeHello(enc(1, 1, 99, []string{"a"}, "not features")); !errors.Is(err, wire.ErrMalformed) {
		t.Errorf("DecodeHello with a str for its features: %v, want ErrMalformed", err)
	}
	// A failed result has no value, even if a peer sent one (§5).
	rs, err = wire.DecodeResults(unhex("92 04 91 94 01 01 92 a1 6b a1 6d 00"), nil)
	if err != nil || len(rs) != 1 || rs[0].Value != nil || rs[0].Err == nil {
		t.Errorf("DecodeResults(value and error) = %+v, %v; want the error alone", rs, err)
	}
	w, err := wire.DecodeWelcome(enc(2, 1, 3, extra))
	if err != nil || w != (wire.Welcome{Version: 1, Worker: 3}) {
		t.Errorf("DecodeWelcome with extras = %+v, %v", w, err)
	}
	if typ, err := wire.PeekType(enc(5, "bye")); err != nil || typ != wire.TypeShutdown {
		t.Errorf("PeekType(shutdown with extras) = %v, %v", typ, err)
	}
	// Malformed extras of a task or result are errors.
	for _, b := range [][]byte{
		cat(unhex("92 03 91 95 01 a1 66 c0 c0"), []byte{0xc1}),
		cat(unhex("92 03 91 95 01 a1 66 c0 c0"), deep),
		cat(unhex("92 04 91 95 01 c0 c0 00 db 00 00 10 00")),
	} {
		if _, err := wire.DecodeTasks(b, nil); b[1] == 3 && !errors.Is(err, wire.ErrMalformed) {
			t.Errorf("task with a malformed extra field % x…: %v", b[:12], err)
		}
		if _, err := wire.DecodeResults(b, nil); b[1] == 4 && !errors.Is(err, wire.ErrMalformed) {
			t.Errorf("result with a malformed extra field % x…: %v", b[:12], err)
		}
	}
}

// equalJSON compares decoded values ignoring how each raw value is encoded
// (msgpack.Marshal of a Go int picks its own width): raw fields are
// compared after decoding them generically.
func equalJSON(got, want any) bool {
	return short(canon(got)) == short(canon(want))
}

func canon(v any) any {
	raw := func(b []byte) any {
		if b == nil {
			return "absent"
		}
		var x any
		if err := msgpack.Unmarshal(b, &x); err != nil {
			return err.Error()
		}
		return norm(x)
	}
	switch v := v.(type) {
	case []wire.Task:
		out := []any{}
		for _, t := range v {
			out = append(out, []any{t.ID, t.Func, raw(t.Bound), raw(t.Args)})
		}
		return out
	case []wire.Result:
		out := []any{}
		for _, r := range v {
			out = append(out, []any{r.ID, raw(r.Value), r.Err, r.Nanos})
		}
		return out
	}
	return v
}

// A frame begun and never finished ends at the frame timeout: the Reader
// calls its function, which closes the stream, and Next fails as truncated.
// A peer silent between frames, longer than the timeout, is not cut off.
func TestReaderFrameTimeout(t *testing.T) {
	const limit = 50 * time.Millisecond
	pr, pw := io.Pipe()
	var expired atomic.Int32
	r := wire.NewReader(pr, 0, 0)
	r.SetFrameTimeout(limit, func() {
		expired.Add(1)
		pw.CloseWithError(io.ErrUnexpectedEOF)
	})
	frame, err := wire.AppendCancel(nil, []wire.Span{{First: 1, Last: 3}})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(3 * limit) // silent between frames
		pw.Write(frame)
		pw.Write(frame[:wire.HeaderSize+1]) // then half a frame, and nothing more
	}()
	if body, err := r.Next(); err != nil || !bytes.Equal(body, frame[wire.HeaderSize:]) {
		t.Fatalf("first frame: %x, %v; want %x", body, err, frame[wire.HeaderSize:])
	}
	if n := expired.Load(); n != 0 {
		t.Fatalf("the frame timeout expired %d times while the peer was silent between frames", n)
	}
	if _, err := r.Next(); !errors.Is(err, wire.ErrTruncated) {
		t.Fatalf("a frame left half sent: %v, want ErrTruncated", err)
	}
	if n := expired.Load(); n != 1 {
		t.Errorf("the frame timeout expired %d times, want once", n)
	}
}
