package worker_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/lane"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
	"github.com/brinehq/brine/pkg/worker"
)

// lanes returns a pair of lanes as the coordinator holds it and the same
// pair mapped again, as the worker that inherited it does.
func lanes(t *testing.T) (coord, work *lane.Pair) {
	t.Helper()
	coord, err := lane.New(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { coord.Close() })
	fd, err := unix.Dup(int(coord.File().Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if work, err = lane.Open(os.NewFile(uintptr(fd), "lane")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { work.Close() })
	return coord, work
}

// serveLanes runs Serve with lanes on stream to its end.
func serveLanes(stream []byte, work *lane.Pair) (*bytes.Buffer, error) {
	var out bytes.Buffer
	err := worker.Serve(context.Background(), bytes.NewReader(stream), &out, task.Default, zerolog.Nop(), worker.WithLanes(work))
	return &out, err
}

// With lanes, the worker declares them, reads arguments from the down
// lane, releases them, and puts large values in the up lane; small ones,
// and those of tasks whose arguments came in the frame, stay as they were.
func TestServeWithLanes(t *testing.T) {
	coord, work := lanes(t)
	down, up := coord.Coordinator()
	payloads := [][]byte{[]byte("small, in the frame")}
	ts := []wire.Task{{ID: 0, Func: jobs.Echo.Name(), Args: echoArgs(t, payloads[0])}}
	for i := range 6 {
		p := bytes.Repeat([]byte{byte('a' + i)}, lane.MinPayload*(i+1))
		args := echoArgs(t, p)
		pos, room, ok := down.Reserve(len(args))
		if !ok {
			t.Fatalf("no room in the down lane for task %d", i)
		}
		ref := down.Commit(pos, len(append(room, args...)))
		payloads = append(payloads, p)
		ts = append(ts, wire.Task{ID: uint64(i + 1), Func: jobs.Echo.Name(), Lane: wire.Ref(ref)})
	}
	stream, _ := wire.AppendWelcome(nil, wire.Welcome{Version: wire.Version})
	stream, _ = wire.AppendTasks(stream, ts)
	out, err := serveLanes(stream, work)
	if err != nil {
		t.Fatalf("Serve: %v", err)
	}
	hello, rs := readResults(t, out)
	if !hello.Has(wire.FeatureLanes) {
		t.Errorf("Hello features %v: no %q", hello.Features, wire.FeatureLanes)
	}
	if len(rs) != len(payloads) {
		t.Fatalf("%d results, want %d", len(rs), len(payloads))
	}
	for _, r := range rs {
		value := r.Value
		if r.ID == 0 != r.Lane.IsZero() {
			t.Errorf("result %d: lane %+v; want the small one in its frame, the large ones in the lane", r.ID, r.Lane)
		}
		if !r.Lane.IsZero() {
			if value, err = up.Slice(lane.Ref(r.Lane)); err != nil {
				t.Fatal(err)
			}
			up.Release(lane.Ref(r.Lane).End())
		}
		if got, err := jobs.Echo.Decode(value); err != nil || !bytes.Equal(got, payloads[r.ID]) {
			t.Errorf("result %d: %d bytes (%v), want its payload of %d", r.ID, len(got), err, len(payloads[r.ID]))
		}
	}
	// The worker released every argument: the whole ring is free again.
	if _, _, ok := down.Reserve(lane.DefaultSize); !ok {
		t.Error("the down lane is not all free after every task ran")
	}
}

// A task whose lane reference the worker cannot follow stops it with an
// error, before any function runs on bytes that are not its arguments.
func TestServeRefusesBadLaneRefs(t *testing.T) {
	_, work := lanes(t)
	for name, ref := range map[string]wire.Ref{
		"outside the ring": {Pos: lane.DefaultSize - 10, Len: 100},
		"larger than it":   {Pos: 0, Len: lane.DefaultSize + 1},
	} {
		stream, _ := wire.AppendWelcome(nil, wire.Welcome{Version: wire.Version})
		stream, _ = wire.AppendTasks(stream, []wire.Task{{ID: 1, Func: jobs.Echo.Name(), Lane: ref}})
		out, err := serveLanes(stream, work)
		if !errors.Is(err, lane.ErrBadRef) {
			t.Errorf("%s: Serve = %v, want ErrBadRef", name, err)
		}
		if _, rs := readResults(t, out); len(rs) != 0 {
			t.Errorf("%s: %d results written for a task it could not read", name, len(rs))
		}
	}
	// Without lanes, a reference is a protocol error too.
	stream, _ := wire.AppendWelcome(nil, wire.Welcome{Version: wire.Version})
	stream, _ = wire.AppendTasks(stream, []wire.Task{{ID: 1, Func: jobs.Echo.Name(), Lane: wire.Ref{Len: 5}}})
	var out bytes.Buffer
	err := worker.Serve(context.Background(), bytes.NewReader(stream), &out, task.Default, zerolog.Nop())
	if !errors.Is(err, wire.ErrMalformed) {
		t.Errorf("lane task to a worker without lanes: Serve = %v, want ErrMalformed", err)
	}
	if hello, _ := readResults(t, &out); slices.Contains(hello.Features, wire.FeatureLanes) {
		t.Errorf("a worker without lanes declares them: %v", hello.Features)
	}
}

func echoArgs(t *testing.T, p []byte) []byte {
	t.Helper()
	args, err := jobs.Echo.Call(p).AppendArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	return args
}

// laneTask places p's echo arguments in the down lane for fn.
func laneTask(t *testing.T, down *lane.Writer, id uint64, fn string, p []byte) wire.Task {
	t.Helper()
	args := echoArgs(t, p)
	pos, room, ok := down.Reserve(len(args))
	if !ok {
		t.Fatalf("no room in the down lane for task %d", id)
	}
	return wire.Task{ID: id, Func: fn, Lane: wire.Ref(down.Commit(pos, len(append(room, args...))))}
}

// A worker's first task whose arguments came by lane, which has its value
// encoded where a large one would go, has it in the up lane when it is
// large and in the frame when it is small.
func TestFirstValueAfterLaneArguments(t *testing.T) {
	large := bytes.Repeat([]byte("v"), 2*lane.MinPayload)
	for _, c := range []struct {
		fn     string
		inLane bool
	}{{jobs.Echo.Name(), true}, {keepArg.Name(), false}} {
		coord, work := lanes(t)
		down, up := coord.Coordinator()
		stream, _ := wire.AppendWelcome(nil, wire.Welcome{Version: wire.Version})
		stream, _ = wire.AppendTasks(stream, []wire.Task{laneTask(t, down, 1, c.fn, large)})
		out, err := serveLanes(stream, work)
		if err != nil {
			t.Fatalf("%s: Serve: %v", c.fn, err)
		}
		_, rs := readResults(t, out)
		if len(rs) != 1 || rs[0].Err != nil {
			t.Fatalf("%s: results %+v", c.fn, rs)
		}
		if got := !rs[0].Lane.IsZero(); got != c.inLane {
			t.Errorf("%s: value in the lane %v, want %v", c.fn, got, c.inLane)
		}
		if c.inLane {
			v, err := up.Slice(lane.Ref(rs[0].Lane))
			if got, derr := jobs.Echo.Decode(v); err != nil || derr != nil || !bytes.Equal(got, large) {
				t.Errorf("echo: the value in the lane is not the payload (%v, %v)", err, derr)
			}
		} else if n, err := keepArg.Decode(rs[0].Value); err != nil || n != len(large) {
			t.Errorf("keep: value %d (%v), want %d", n, err, len(large))
		}
	}
}
