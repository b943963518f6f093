package worker_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
	"github.com/brinehq/brine/pkg/worker"
)

// release lets blocker's running call return; each test run makes its own.
var release chan struct{}

// blocker returns once the test closes release.
var blocker = task.Register("worker_test.block", func(ctx context.Context, _ int) (int, error) {
	select {
	case <-release:
		return 1, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
})

// The result of a short task goes out while a long task queued behind it in
// the same frame still runs: the coordinator times tasks out by when their
// predecessors' results arrive (docs/PROTOCOL.md).
func TestResultNotHeldBehindLongTask(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang guard only
	defer cancel()
	release = make(chan struct{}) // before Serve's goroutine starts
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	served := make(chan error, 1)
	go func() {
		served <- worker.Serve(ctx, inR, outW, task.Default, zerolog.Nop())
		outW.Close()
	}()
	results := wire.NewReader(outR, 0, 0)
	if _, err := results.Next(); err != nil { // the Hello
		t.Fatal(err)
	}
	echo, block := jobs.Echo.Call([]byte("hi")), blocker.Call(0)
	echoArgs, _ := echo.AppendArgs(nil)
	blockArgs, _ := block.AppendArgs(nil)
	welcome, _ := wire.AppendWelcome(nil, wire.Welcome{Version: wire.Version})
	frame, err := wire.AppendTasks(welcome, []wire.Task{
		{ID: 1, Func: echo.Func(), Args: echoArgs},
		{ID: 2, Func: block.Func(), Args: blockArgs},
	})
	if err != nil {
		t.Fatal(err)
	}
	go inW.Write(frame)

	body, err := results.Next() // only returns if task 1's result was written while task 2 blocks
	if err != nil {
		t.Fatal(err)
	}
	rs, err := wire.DecodeResults(body, nil)
	if err != nil || len(rs) != 1 || rs[0].ID != 1 || rs[0].Err != nil {
		t.Fatalf("first results %+v, %v: want task 1's alone", rs, err)
	}
	close(release)
	if body, err = results.Next(); err != nil {
		t.Fatal(err)
	}
	if rs, err = wire.DecodeResults(body, nil); err != nil || len(rs) != 1 || rs[0].ID != 2 || rs[0].Err != nil {
		t.Fatalf("second results %+v, %v: want task 2's", rs, err)
	}
	inW.Close()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := results.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last result: %v, want the end of the output", err)
	}
}

// Large results, which the worker writes in frames of their own without
// copying them into the pending frame, arrive whole and in order among
// small ones, in and across frames of tasks.
func TestLargeResultsAmongSmall(t *testing.T) {
	sizes := [][]int{{3, 300 << 10, 5, 1<<20 + 100}, {7, 2 << 20}, {1 << 20, 1 << 20, 9}}
	stream, _ := wire.AppendWelcome(nil, wire.Welcome{Version: wire.Version})
	var want [][]byte
	for _, frame := range sizes {
		var ts []wire.Task
		for _, n := range frame {
			payload := make([]byte, n)
			for i := range payload {
				payload[i] = byte(len(want) + i)
			}
			c := jobs.Echo.Call(payload)
			args, err := c.AppendArgs(nil)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, payload)
			ts = append(ts, wire.Task{ID: uint64(len(want)), Func: c.Func(), Args: args})
		}
		var err error
		if stream, err = wire.AppendTasks(stream, ts); err != nil {
			t.Fatal(err)
		}
	}
	_, rs := serveAll(t, stream)
	next := uint64(1)
	for _, res := range rs {
		if res.ID != next || res.Err != nil {
			t.Fatalf("result %d (error %v), want %d", res.ID, res.Err, next)
		}
		got, err := jobs.Echo.Decode(res.Value)
		if err != nil || !bytes.Equal(got, want[next-1]) {
			t.Fatalf("task %d: %d bytes back (%v), want its %d", next, len(got), err, len(want[next-1]))
		}
		next++
	}
	if int(next-1) != len(want) {
		t.Fatalf("%d results, want %d", next-1, len(want))
	}
}

// serveAll runs Serve on stream, a Welcome and what follows, to its end,
// and returns the worker's Hello and its results in the order written.
func serveAll(t *testing.T, stream []byte) (wire.Hello, []wire.Result) {
	t.Helper()
	var out bytes.Buffer
	if err := worker.Serve(context.Background(), bytes.NewReader(stream), &out, task.Default, zerolog.Nop()); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	return readResults(t, &out)
}

// readResults reads a worker's output: its Hello, then its results.
func readResults(t *testing.T, out io.Reader) (wire.Hello, []wire.Result) {
	t.Helper()
	r := wire.NewReader(out, 0, 0)
	body, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	hello, err := wire.DecodeHello(body)
	if err != nil {
		t.Fatal(err)
	}
	var rs []wire.Result
	for {
		body, err := r.Next()
		if errors.Is(err, io.EOF) {
			return hello, rs
		}
		if err != nil {
			t.Fatal(err)
		}
		if rs, err = wire.DecodeResults(body, rs); err != nil {
			t.Fatal(err)
		}
	}
}

// kept holds what keepArg's calls were given, as they were given it.
var (
	kept    [][]byte
	keptBox []boxed
	keepArg = task.Register("worker_test.keep", func(_ context.Context, b []byte) (int, error) {
		kept = append(kept, b)
		return len(b), nil
	})
	keepBox = task.Register("worker_test.keepbox", func(_ context.Context, b boxed) (int, error) {
		keptBox = append(keptBox, b)
		return len(b.B), nil
	})
)

type boxed struct{ B []byte }

// The worker reads each frame into the buffer of the one before, so an
// argument a function keeps must not share it: byte slices, by the fast
// path or inside a struct, are the function's own.
func TestKeptArgumentsSurviveLaterFrames(t *testing.T) {
	kept, keptBox = nil, nil
	stream, _ := wire.AppendWelcome(nil, wire.Welcome{Version: wire.Version})
	var want [][]byte
	for frame := range 3 {
		payload := bytes.Repeat([]byte{'a' + byte(frame)}, 100)
		want = append(want, payload)
		c1, c2 := keepArg.Call(payload), keepBox.Call(boxed{B: payload})
		a1, err1 := c1.AppendArgs(nil)
		a2, err2 := c2.AppendArgs(nil)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		var err error
		stream, err = wire.AppendTasks(stream, []wire.Task{
			{ID: uint64(2*frame + 1), Func: c1.Func(), Args: a1},
			{ID: uint64(2*frame + 2), Func: c2.Func(), Args: a2},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := worker.Serve(context.Background(), bytes.NewReader(stream), io.Discard, task.Default, zerolog.Nop()); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if len(kept) != len(want) || len(keptBox) != len(want) {
		t.Fatalf("%d and %d calls kept their arguments, want %d each", len(kept), len(keptBox), len(want))
	}
	for i, w := range want {
		if !bytes.Equal(kept[i], w) || !bytes.Equal(keptBox[i].B, w) {
			t.Fatalf("frame %d's arguments changed after later frames: %q, %q; want %q", i, kept[i][:4], keptBox[i].B[:4], w[:4])
		}
	}
}

// A Calls frame is one task per call, answered by ordinary results with
// ids from its first on; a call whose arguments do not fit fails alone, and
// Calls and Tasks frames mix on one stream. The worker's Hello offers them.
func TestCalls(t *testing.T) {
	add := task.Bind(jobs.Primes, 100) // primes in [i·100, (i+1)·100)
	args := func(c task.Call) []byte {
		t.Helper()
		b, err := c.AppendArgs(nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	stream, _ := wire.AppendWelcome(nil, wire.Welcome{Version: wire.Version})
	first := add.Call(0)
	stream, err := wire.AppendCalls(stream, &wire.Calls{First: 10, Func: first.Func(), Bound: first.Bound(), Args: [][]byte{
		args(add.Call(0)), args(add.Call(1)), {0x91, 0xa1, 'x'}, args(add.Call(2)),
	}})
	if err != nil {
		t.Fatal(err)
	}
	echo := jobs.Echo.Call([]byte("between"))
	if stream, err = wire.AppendTasks(stream, []wire.Task{{ID: 3, Func: echo.Func(), Args: args(echo)}}); err != nil {
		t.Fatal(err)
	}
	if stream, err = wire.AppendCalls(stream, &wire.Calls{First: 20, Func: "no.such", Args: [][]byte{nil, nil}}); err != nil {
		t.Fatal(err)
	}
	h, got := serveAll(t, stream)
	if !h.Has(wire.FeatureCalls) {
		t.Fatalf("hello %+v: want the calls feature", h)
	}
	want := []struct {
		id     uint64
		primes int64  // when kind is ""
		kind   string // the error's
	}{{10, 25, ""}, {11, 21, ""}, {12, 0, wire.KindBadArgs}, {13, 16, ""}, {3, 0, ""}, {20, 0, wire.KindUnknown}, {21, 0, wire.KindUnknown}}
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		switch {
		case g.ID != w.id:
			t.Errorf("result %d: id %d, want %d", i, g.ID, w.id)
		case w.kind != "":
			if g.Err == nil || g.Err.Kind != w.kind {
				t.Errorf("task %d: error %v, want kind %s", g.ID, g.Err, w.kind)
			}
		case g.Err != nil:
			t.Errorf("task %d: %v", g.ID, g.Err)
		case g.ID == 3:
			if v, err := jobs.Echo.Decode(g.Value); err != nil || string(v) != "between" {
				t.Errorf("echo between the calls: %q, %v", v, err)
			}
		default:
			if n, err := add.Decode(g.Value); err != nil || n != w.primes {
				t.Errorf("task %d: %d primes (%v), want %d", g.ID, n, err, w.primes)
			}
		}
	}
}

// A frame whose tasks leave many results (256 or more) has them written at
// its end even when the next frame is already buffered, so that a
// coordinator which sends its window in two frames can send a third while
// the worker runs the second; few results still wait for more.
func TestManyResultsGoAtFrameEnd(t *testing.T) {
	echo := jobs.Echo.Call([]byte{})
	arg, err := echo.AppendArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	stream, _ := wire.AppendWelcome(nil, wire.Welcome{Version: wire.Version})
	sizes := []int{300, 300, 100, 100} // all buffered before the first runs
	for f, n := range sizes {
		c := wire.Calls{First: uint64(f * 1000), Func: echo.Func(), Args: make([][]byte, n)}
		for i := range c.Args {
			c.Args[i] = arg
		}
		if stream, err = wire.AppendCalls(stream, &c); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := worker.Serve(context.Background(), bytes.NewReader(stream), &out, task.Default, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	r := wire.NewReader(&out, 0, 0)
	if _, err := r.Next(); err != nil { // the hello
		t.Fatal(err)
	}
	var frames, results int
	var last uint64
	for {
		body, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rs, err := wire.DecodeResults(body, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, res := range rs {
			if results > 0 && res.ID <= last {
				t.Fatalf("result %d after %d", res.ID, last)
			}
			last = res.ID
		}
		frames++
		results += len(rs)
	}
	// At the ends of the two large frames, then the two small ones together
	// at the end of the input; a result that waited 1 ms adds a frame.
	if results != 800 || frames < 3 {
		t.Fatalf("%d results in %d frames: want 800 in 3 or more", results, frames)
	}
}
