package wire_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/brinehq/brine/pkg/wire"
)

// Message values the tests encode; shutdown stands for the Shutdown message.
type (
	tasks    []wire.Task
	results  []wire.Result
	shutdown struct{}
)

// appendMsg appends the frame of m to b.
func appendMsg(t testing.TB, b []byte, m any) []byte {
	t.Helper()
	var err error
	switch m := m.(type) {
	case wire.Hello:
		b, err = wire.AppendHello(b, m)
	case wire.Welcome:
		b, err = wire.AppendWelcome(b, m)
	case tasks:
		b, err = wire.AppendTasks(b, m)
	case results:
		b, err = wire.AppendResults(b, m)
	case shutdown:
		b = wire.AppendShutdown(b)
	case wire.Calls:
		b, err = wire.AppendCalls(b, &m)
	default:
		t.Fatalf("appendMsg: unknown %T", m)
	}
	if err != nil {
		t.Fatalf("appending %T: %v", m, err)
	}
	return b
}

// decodeMsg decodes a body into the value appendMsg would take.
func decodeMsg(body []byte) (any, error) {
	typ, err := wire.PeekType(body)
	if err != nil {
		return nil, err
	}
	switch typ {
	case wire.TypeHello:
		return wire.DecodeHello(body)
	case wire.TypeWelcome:
		return wire.DecodeWelcome(body)
	case wire.TypeTasks:
		ts, err := wire.DecodeTasks(body, nil)
		return tasks(ts), err
	case wire.TypeResults:
		rs, err := wire.DecodeResults(body, nil)
		return results(rs), err
	case wire.TypeShutdown:
		return shutdown{}, nil
	case wire.TypeCalls:
		var c wire.Calls
		err := wire.DecodeCalls(body, &c)
		return c, err
	}
	return nil, errors.New("unknown type " + typ.String())
}

// body strips the length prefix of a single frame.
func body(t testing.TB, frame []byte) []byte {
	t.Helper()
	b, err := wire.NewReader(bytes.NewReader(frame), 0, 0).Next()
	if err != nil {
		t.Fatalf("reading back a frame: %v", err)
	}
	return b
}

// array1 is the encoding of a one-element msgpack array holding v.
func array1(t testing.TB, v any) []byte {
	t.Helper()
	b, err := msgpack.Marshal([]any{v})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	nilValue = []byte{0xc0}
	bigArgs  = func() []byte { // a 1 MiB bin inside a one-element array
		p := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
		b, _ := msgpack.Marshal([]any{p})
		return b
	}()
)

// roundTrips lists messages and what decoding their frame gives back when
// that differs from the message: an absent (nil or msgpack nil) Bound or
// Args decodes to nil; an absent Value to msgpack nil; a failed result has
// no Value; a Hello without functions has an empty, non-nil list.
var roundTrips = []struct {
	name     string
	msg, out any
}{
	{name: "hello", msg: wire.Hello{Version: wire.Version, PID: 4242, Funcs: []string{"echo", "primes", "sleep"}}},
	{name: "hello/features", msg: wire.Hello{Version: wire.Version, PID: 7, Funcs: []string{"echo"}, Features: []string{wire.FeatureCalls, "x"}}},
	{name: "hello/no funcs", msg: wire.Hello{Version: 1, PID: 1}, out: wire.Hello{Version: 1, PID: 1, Funcs: []string{}}},
	{name: "hello/extremes", msg: wire.Hello{Version: math.MinInt64, PID: math.MaxInt64,
		Funcs: []string{"", strings.Repeat("f", 40), strings.Repeat("g", 70000)}}},
	{name: "welcome", msg: wire.Welcome{Version: wire.Version, Worker: 7}},
	{name: "welcome/negative", msg: wire.Welcome{Version: -1, Worker: -200}},
	{name: "tasks/empty batch", msg: tasks{}, out: tasks(nil)},
	{name: "tasks/one", msg: tasks{{ID: 1, Func: "echo", Args: []byte{0x91, 0x2a}}}},
	{name: "tasks/nil bound and args", msg: tasks{
		{ID: 1, Func: "f"},
		{ID: 2, Func: "f", Bound: nilValue, Args: []byte{}},
		{ID: 3, Func: "", Bound: []byte{0x90}, Args: []byte{0x90}},
	}, out: tasks{
		{ID: 1, Func: "f"},
		{ID: 2, Func: "f"},
		{ID: 3, Func: "", Bound: []byte{0x90}, Args: []byte{0x90}},
	}},
	{name: "tasks/large ids", msg: tasks{
		{ID: 0, Func: "f"}, {ID: 127, Func: "f"}, {ID: 128, Func: "f"}, {ID: 255, Func: "f"},
		{ID: 256, Func: "f"}, {ID: 65535, Func: "f"}, {ID: 65536, Func: "f"}, {ID: math.MaxUint32, Func: "f"},
		{ID: math.MaxUint32 + 1, Func: "f"}, {ID: math.MaxInt64, Func: "f"}, {ID: math.MaxUint64, Func: "f"},
	}},
	{name: "tasks/long names", msg: tasks{
		{ID: 1, Func: strings.Repeat("a", 31)}, {ID: 2, Func: strings.Repeat("b", 32)},
		{ID: 3, Func: strings.Repeat("c", 255)}, {ID: 4, Func: strings.Repeat("d", 256)},
		{ID: 5, Func: strings.Repeat("e", 65535)}, {ID: 6, Func: strings.Repeat("é", 40000)},
	}},
	{name: "tasks/bound and args", msg: tasks{
		{ID: 9, Func: "primes", Bound: []byte{0x91, 0xcd, 0x27, 0x10}, Args: []byte{0x91, 0x03}},
		{ID: 10, Func: "hash", Bound: []byte{0x91, 0x92, 0x64, 0x2a}, Args: []byte{0x91, 0x81, 0xa1, 'k', 0xc3}},
	}},
	{name: "tasks/1 MiB args", msg: tasks{{ID: 1 << 40, Func: "echo", Args: bigArgs}, {ID: 2, Func: "echo", Args: []byte{0x91, 0xc0}}}},
	{name: "tasks/many", msg: manyTasks(1000)},
	{name: "tasks/in the lane", msg: tasks{
		{ID: 1, Func: "echo", Lane: wire.Ref{Pos: 0, Len: 1 << 20}},
		{ID: 2, Func: "echo", Args: []byte{0x91, 0x01}},
		{ID: 3, Func: "hash", Bound: []byte{0x91, 0x2a}, Lane: wire.Ref{Pos: math.MaxUint64 - 70000, Len: 70000}},
	}},
	{name: "calls/none", msg: wire.Calls{First: 3, Func: "f"}},
	{name: "calls/nil and empty args", msg: wire.Calls{First: 1, Func: "f", Bound: nilValue, Args: [][]byte{nil, {}, nilValue, {0x90}}},
		out: wire.Calls{First: 1, Func: "f", Args: [][]byte{nil, nil, nil, {0x90}}}},
	{name: "calls/last ids", msg: wire.Calls{First: math.MaxUint64 - 1, Func: "echo", Args: [][]byte{{0x91, 0x01}, {0x91, 0x02}}}},
	{name: "calls/bound and 1 MiB args", msg: wire.Calls{First: 1 << 40, Func: "hash", Bound: []byte{0x91, 0x92, 0x64, 0x2a}, Args: [][]byte{bigArgs, {0x91, 0xc0}}}},
	{name: "results/empty batch", msg: results{}, out: results(nil)},
	{name: "results/values", msg: results{
		{ID: 1, Value: []byte{0x31}, Nanos: 1500},
		{ID: math.MaxUint64, Value: []byte{0xa2, 'o', 'k'}, Nanos: math.MaxUint64},
		{ID: 3, Value: []byte{0x92, 0x01, 0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0xc0}},
	}},
	{name: "results/nil value", msg: results{{ID: 1}, {ID: 2, Value: nilValue}},
		out: results{{ID: 1, Value: nilValue}, {ID: 2, Value: nilValue}}},
	{name: "results/errors", msg: results{
		{ID: 1, Err: &wire.Error{Kind: wire.KindPanic, Message: "boom", Stack: "goroutine 7 [running]:\nmain.f()\n\t/x.go:3 +0x1d"}, Nanos: 12},
		{ID: 2, Err: &wire.Error{Kind: wire.KindError, Message: "no stack"}},
		{ID: 3, Err: &wire.Error{Kind: "custom", Message: strings.Repeat("m", 300), Stack: strings.Repeat("s", 70000)}},
		{ID: 4, Value: []byte{0x2a}, Err: &wire.Error{Kind: wire.KindEncode, Message: "value ignored"}},
		{ID: 5, Value: []byte{0x07}, Nanos: 3},
	}, out: results{
		{ID: 1, Err: &wire.Error{Kind: wire.KindPanic, Message: "boom", Stack: "goroutine 7 [running]:\nmain.f()\n\t/x.go:3 +0x1d"}, Nanos: 12},
		{ID: 2, Err: &wire.Error{Kind: wire.KindError, Message: "no stack"}},
		{ID: 3, Err: &wire.Error{Kind: "custom", Message: strings.Repeat("m", 300), Stack: strings.Repeat("s", 70000)}},
		{ID: 4, Err: &wire.Error{Kind: wire.KindEncode, Message: "value ignored"}},
		{ID: 5, Value: []byte{0x07}, Nanos: 3},
	}},
	{name: "results/1 MiB value", msg: results{{ID: 1, Value: bigArgs[1:], Nanos: 1}}},
	{name: "results/in the lane", msg: results{
		{ID: 1, Lane: wire.Ref{Pos: 1 << 33, Len: 65536}, Nanos: 9},
		{ID: 2, Value: []byte{0x07}},
		// A failed result has neither value nor lane (§5).
		{ID: 3, Err: &wire.Error{Kind: wire.KindPanic, Message: "boom"}, Lane: wire.Ref{Pos: 5, Len: 5}},
	}, out: results{
		{ID: 1, Lane: wire.Ref{Pos: 1 << 33, Len: 65536}, Nanos: 9},
		{ID: 2, Value: []byte{0x07}},
		{ID: 3, Err: &wire.Error{Kind: wire.KindPanic, Message: "boom"}},
	}},
	{name: "shutdown", msg: shutdown{}},
}

func manyTasks(n int) tasks {
	ts := make(tasks, n)
	for i := range ts {
		ts[i] = wire.Task{ID: uint64(i), Func: []string{"a", "a", "bb"}[i%3], Args: []byte{0x91, byte(i & 0x7f)}}
	}
	return ts
}

func want(msg, out any) any {
	if out != nil {
		return out
	}
	return msg
}

// TestRoundTrip writes every message back to back into one stream and reads
// them with a Reader whose buffer is smaller than most frames.
func TestRoundTrip(t *testing.T) {
	var stream bytes.Buffer
	var b []byte
	for _, c := range roundTrips {
		b = appendMsg(t, b[:0], c.msg)
		stream.Write(b)
	}
	r := wire.NewReader(&stream, 16, 0)
	for _, c := range roundTrips {
		body, err := r.Next()
		if err != nil {
			t.Fatalf("%s: Next: %v", c.name, err)
		}
		got, err := decodeMsg(body)
		if err != nil {
			t.Fatalf("%s: decode: %v", c.name, err)
		}
		if w := want(c.msg, c.out); !reflect.DeepEqual(got, w) {
			t.Errorf("%s: round trip\n got %s\nwant %s", c.name, short(got), short(w))
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
}

// short formats v for a failure message without printing megabytes.
func short(v any) string {
	s := fmt.Sprintf("%+v", v)
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

// TestPeekType checks the type of every message and that PeekType reads
// only the envelope.
func TestPeekType(t *testing.T) {
	types := map[string]wire.Type{"hello": wire.TypeHello, "welcome": wire.TypeWelcome,
		"tasks": wire.TypeTasks, "results": wire.TypeResults, "shutdown": wire.TypeShutdown, "calls": wire.TypeCalls}
	for _, c := range roundTrips {
		got, err := wire.PeekType(body(t, appendMsg(t, nil, c.msg)))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if w := types[strings.Split(c.name, "/")[0]]; got != w {
			t.Errorf("%s: PeekType = %v, want %v", c.name, got, w)
		}
	}
	// A type this version does not know is not an error for PeekType: the
	// caller decides (PROTOCOL.md §8).
	if got, err := wire.PeekType([]byte{0x92, 0x63, 0xc0}); err != nil || got != 99 || got.String() != "type(99)" {
		t.Errorf("PeekType(unknown type 99) = %v, %v", got, err)
	}
}

// TestBatchWriter checks that a batch built element by element is the frame
// AppendTasks and AppendResults build, also after other frames in b.
func TestBatchWriter(t *testing.T) {
	prefix := wire.AppendShutdown(nil)
	for _, c := range roundTrips {
		var b []byte
		var w wire.BatchWriter
		var n int
		switch m := c.msg.(type) {
		case tasks:
			b, w = wire.BeginTasks(bytes.Clone(prefix))
			for i := range m {
				b = wire.AppendTask(b, &m[i])
			}
			n = len(m)
		case results:
			b, w = wire.BeginResults(bytes.Clone(prefix))
			for i := range m {
				b = wire.AppendResult(b, &m[i])
			}
			n = len(m)
		default:
			continue
		}
		b, err := w.End(b, n)
		if err != nil {
			t.Fatalf("%s: End: %v", c.name, err)
		}
		if whole := appendMsg(t, bytes.Clone(prefix), c.msg); !bytes.Equal(b, whole) {
			t.Errorf("%s: the batch built element by element differs from the one built whole", c.name)
		}
	}
}

// TestTasksSpin checks the optional third element of a Tasks message: sent
// by EndSpin, returned by DecodeTasksSpin, ignored by DecodeTasks, and
// malformed if it is not an unsigned integer.
func TestTasksSpin(t *testing.T) {
	ts := []wire.Task{{ID: 7, Func: "echo", Args: []byte{0x91, 0x01}}}
	build := func(spin time.Duration) []byte {
		b, w := wire.BeginTasks(wire.AppendShutdown(nil)) // not at the buffer's start
		b = wire.AppendTask(b, &ts[0])
		b, err := w.EndSpin(b, 1, spin)
		if err != nil {
			t.Fatal(err)
		}
		return b[len(wire.AppendShutdown(nil)):]
	}
	for _, spin := range []time.Duration{0, -time.Second, 1, 50 * time.Microsecond, time.Hour} {
		frame := build(spin)
		body := frame[wire.HeaderSize:]
		got, gotSpin, err := wire.DecodeTasksSpin(body, nil)
		if err != nil || !reflect.DeepEqual(got, ts) || gotSpin != max(spin, 0) {
			t.Errorf("spin %v: decoded %+v spinning %v, %v", spin, got, gotSpin, err)
		}
		if got, err := wire.DecodeTasks(body, nil); err != nil || !reflect.DeepEqual(got, ts) {
			t.Errorf("spin %v: DecodeTasks: %+v, %v", spin, got, err)
		}
		if spin <= 0 && !bytes.Equal(frame, appendMsg(t, nil, tasks(ts))) {
			t.Errorf("spin %v: the frame differs from AppendTasks'", spin)
		}
	}
	body := build(time.Microsecond)[wire.HeaderSize:]
	body = append(body[:len(body)-3], 0xa1, 'x') // the spin, 1000 (cd 03 e8), becomes "x"
	if _, _, err := wire.DecodeTasksSpin(body, nil); !errors.Is(err, wire.ErrMalformed) {
		t.Errorf("a spin that is a string: err %v, want ErrMalformed", err)
	}
}

// TestResultHeadTail checks that a result written around its value in place
// (head, value, tail) is the element AppendResult writes.
func TestResultHeadTail(t *testing.T) {
	for _, c := range roundTrips {
		rs, ok := c.msg.(results)
		if !ok {
			continue
		}
		for _, r := range rs {
			if r.Err == nil && !r.Lane.IsZero() {
				continue // no value to write in place: AppendLaneResult
			}
			b := wire.AppendResultHead(nil, r.ID)
			if r.Err == nil {
				if len(r.Value) == 0 {
					b = append(b, 0xc0)
				}
				b = append(b, r.Value...)
			}
			b = wire.AppendResultTail(b, r.Err, r.Nanos)
			if w := wire.AppendResult(nil, &r); !bytes.Equal(b, w) {
				t.Errorf("%s: result %d: head/tail % x, AppendResult % x", c.name, r.ID, b, w)
			}
		}
	}
}

// TestTaskHead checks that a task written around its arguments in place
// (head, then the encoded argument array) is the element AppendTask writes.
func TestTaskHead(t *testing.T) {
	for _, c := range roundTrips {
		ts, ok := c.msg.(tasks)
		if !ok {
			continue
		}
		for _, task := range ts {
			if !task.Lane.IsZero() {
				continue // no arguments to write in place: AppendLaneTask
			}
			b := wire.AppendTaskHead(nil, task.ID, task.Func, task.Bound)
			if len(task.Args) == 0 {
				b = append(b, 0xc0)
			}
			b = append(b, task.Args...)
			if w := wire.AppendTask(nil, &task); !bytes.Equal(b, w) {
				t.Errorf("%s: task %d: head+args % x, AppendTask % x", c.name, task.ID, b[:min(len(b), 32)], w[:min(len(w), 32)])
			}
		}
	}
}

// TestFrameTooLargeToSend checks the sender's side of the limit. It moves
// 64 MiB twice, which is slow under -race, so it checks only the edges.
func TestFrameTooLargeToSend(t *testing.T) {
	const overhead = 15 // frame header, envelope and task fields around Args below
	buf := make([]byte, 0, wire.FrameSize(wire.MaxFrame)+8)
	args := make([]byte, wire.MaxFrame-overhead+1)
	b, err := wire.AppendTasks(append(buf, "keep"...), tasks{{ID: 1, Func: "echo", Args: args}})
	if !errors.Is(err, wire.ErrFrameTooLarge) || string(b) != "keep" {
		t.Errorf("AppendTasks one byte over MaxFrame = %q…, %v; want b unchanged and ErrFrameTooLarge", b[:min(len(b), 8)], err)
	}
	b, err = wire.AppendTasks(buf, tasks{{ID: 1, Func: "echo", Args: args[1:]}})
	if err != nil || len(b) != wire.FrameSize(wire.MaxFrame) {
		t.Errorf("AppendTasks of exactly MaxFrame: len %d, %v; want %d", len(b), err, wire.FrameSize(wire.MaxFrame))
	}
}

func TestVersionError(t *testing.T) {
	for _, c := range []struct {
		e    wire.VersionError
		want string
	}{
		{wire.VersionError{Worker: 1, Coordinator: 2}, "wire: worker speaks protocol v1, coordinator v2: rebuild the worker from the same brine version"},
		{wire.VersionError{Worker: 3, Coordinator: 2}, "wire: worker speaks protocol v3, coordinator v2: rebuild the coordinator from the same brine version"},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
	if got := (&wire.Error{Kind: wire.KindPanic, Message: "boom"}).Error(); got != "panic: boom" {
		t.Errorf("Error.Error() = %q", got)
	}
}

// Ready is true exactly when Next can return a whole frame from what is
// already buffered.
func TestReaderReady(t *testing.T) {
	var stream []byte
	for range 2 {
		stream = wire.AppendShutdown(stream)
	}
	one := len(stream) / 2
	pr, pw := io.Pipe()
	r := wire.NewReader(pr, 0, 0)
	if r.Ready() {
		t.Fatal("Ready before anything arrived")
	}
	go func() {
		pw.Write(stream[:one+wire.HeaderSize]) // a frame and the next one's header
		pw.Write(stream[one+wire.HeaderSize:])
	}()
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if r.Ready() {
		t.Fatal("Ready with only a header buffered")
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if r.Ready() {
		t.Fatal("Ready with nothing buffered")
	}

	r = wire.NewReader(bytes.NewReader(stream), 0, 0)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if !r.Ready() {
		t.Fatal("not Ready with the second frame buffered")
	}
}

// NextInto reads a body into the buffer it is given when the body fits, and
// into a new one, leaving the given one alone, when it does not.
func TestReaderNextInto(t *testing.T) {
	small, err := wire.AppendResults(nil, []wire.Result{{ID: 1, Value: []byte{0x01}}})
	if err != nil {
		t.Fatal(err)
	}
	big, err := wire.AppendResults(nil, []wire.Result{{ID: 2, Value: append([]byte{0xc4, 200}, make([]byte, 200)...)}})
	if err != nil {
		t.Fatal(err)
	}
	stream := append(append(append([]byte{}, small...), big...), small...)
	r := wire.NewReader(bytes.NewReader(stream), 0, 0)

	buf := make([]byte, 64)
	got, err := r.NextInto(buf)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, small[wire.HeaderSize:]) || &got[:1][0] != &buf[0] {
		t.Fatalf("a body that fits: got % x in another buffer (%v), want % x in the one given",
			got, &got[:1][0] != &buf[0], small[wire.HeaderSize:])
	}
	before := bytes.Clone(buf)
	got, err = r.NextInto(buf)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, big[wire.HeaderSize:]) || !bytes.Equal(buf, before) {
		t.Fatalf("a body larger than the buffer: got % x, buffer changed %v", got[:8], !bytes.Equal(buf, before))
	}
	got, err = r.NextInto(got)
	if err != nil || !bytes.Equal(got, small[wire.HeaderSize:]) {
		t.Fatalf("reading into the grown buffer: % x, %v", got, err)
	}
	if _, err := r.NextInto(got); !errors.Is(err, io.EOF) {
		t.Fatalf("at the end: %v, want io.EOF", err)
	}
}

// Bodies large enough to be read from the stream directly and small ones
// read through the buffer interleave without losing or reordering a byte,
// however the stream splits its data.
func TestReaderLargeAndSmallBodies(t *testing.T) {
	sizes := []int{10, 40 << 10, 3, 300 << 10, 100 << 10, 1, 64 << 10, 5, 2 << 20}
	var stream []byte
	var want [][]byte
	for i, n := range sizes {
		v := bytes.Repeat([]byte{byte(i + 1)}, n)
		frame, err := wire.AppendResults(nil, []wire.Result{{ID: uint64(i), Value: append([]byte{0xc6, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, v...)}})
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, frame...)
		want = append(want, frame[wire.HeaderSize:])
	}
	for name, src := range map[string]func() io.Reader{
		"whole":    func() io.Reader { return bytes.NewReader(stream) },
		"halves":   func() io.Reader { return iotest.HalfReader(bytes.NewReader(stream)) },
		"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(stream)) },
		"data+EOF": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(stream)) },
	} {
		t.Run(name, func(t *testing.T) {
			r := wire.NewReader(src(), 64<<10, 0)
			var keep []byte
			for i := range want {
				got, err := r.NextInto(keep)
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if !bytes.Equal(got, want[i]) {
					t.Fatalf("frame %d: %d bytes differ from the %d sent", i, len(got), len(want[i]))
				}
				keep = got
			}
			if _, err := r.Next(); !errors.Is(err, io.EOF) {
				t.Fatalf("after the last frame: %v, want io.EOF", err)
			}
		})
	}
}
