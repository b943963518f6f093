package nats

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/wire"
)

// idSet agrees with a map through ids sent upwards, answered out of
// order, and some sent again below its window.
func TestIDSet(t *testing.T) {
	var s idSet
	want := map[uint64]bool{}
	rng := rand.New(rand.NewPCG(1, 2))
	next := uint64(1)
	for range 20000 {
		switch op := rng.IntN(10); {
		case op < 3: // send the next ones
			for range rng.IntN(100) {
				if got := s.add(next); got == want[next] {
					t.Fatalf("add(%d) = %v with the set holding it: %v", next, got, want[next])
				}
				want[next] = true
				next++
			}
		case op < 5: // send a span of them, maybe past a gap, maybe with an old one again
			first := next + uint64(rng.IntN(3)) - min(next, uint64(rng.IntN(2)))
			n := uint64(1 + rng.IntN(150))
			s.addSpan(wire.Span{First: first, Last: first + n - 1})
			for id := first; id < first+n; id++ {
				want[id] = true
			}
			next = max(next, first+n)
		case op < 9: // answer one
			id := uint64(rng.Int64N(int64(next)))
			if got := s.remove(id); got != want[id] {
				t.Fatalf("remove(%d) = %v, want %v", id, got, want[id])
			}
			delete(want, id)
		default: // send an old one again
			id := uint64(rng.Int64N(int64(next)))
			if got := s.add(id); got == want[id] {
				t.Fatalf("add(%d) again = %v with the set holding it: %v", id, got, want[id])
			}
			want[id] = true
		}
		if s.len() != len(want) {
			t.Fatalf("len %d, want %d", s.len(), len(want))
		}
	}
	for id := range next + 64 {
		if s.has(id) != want[id] {
			t.Fatalf("has(%d) = %v, want %v", id, s.has(id), want[id])
		}
	}
	if len(s.words) > int(next/64)+2 {
		t.Errorf("the window holds %d words for %d ids", len(s.words), next)
	}
}

func tasksFrame(t *testing.T, ids ...uint64) []byte {
	t.Helper()
	var ts []wire.Task
	for _, id := range ids {
		ts = append(ts, wire.Task{ID: id, Func: "echo", Args: []byte{0x91, byte(id & 0x7f)}})
	}
	f, err := wire.AppendTasks(nil, ts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func callsFrame(t *testing.T, first uint64, n int) []byte {
	t.Helper()
	c := wire.Calls{First: first, Func: "echo"}
	for k := range n {
		c.Args = append(c.Args, []byte{0x91, byte(k)})
	}
	f, err := wire.AppendCalls(nil, &c)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// A message of frames of tasks names its tasks' ids, and splits into
// frames of one task each that name the same calls.
func TestMessageSpansAndSingles(t *testing.T) {
	msg := slices.Concat(callsFrame(t, 10, 3), callsFrame(t, 13, 2), tasksFrame(t, 20, 22, 23))
	var d decoded
	spans, err := messageSpans(msg, nil, &d)
	if err != nil {
		t.Fatal(err)
	}
	want := []wire.Span{{First: 10, Last: 14}, {First: 20, Last: 20}, {First: 22, Last: 23}}
	if !slices.Equal(spans, want) {
		t.Errorf("spans %v, want %v", spans, want)
	}
	if spansLen(spans) != 8 {
		t.Errorf("spansLen = %d, want 8", spansLen(spans))
	}
	ss, err := singles(msg)
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for _, s := range ss {
		body, err := oneFrame(s.frame)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := wire.DecodeTasks(body, nil)
		if err != nil || len(ts) != 1 || ts[0].ID != s.id || ts[0].Func != "echo" || len(ts[0].Args) != 2 {
			t.Fatalf("single %d: %+v, %v", s.id, ts, err)
		}
		ids = append(ids, s.id)
	}
	if want := []uint64{10, 11, 12, 13, 14, 20, 22, 23}; !slices.Equal(ids, want) {
		t.Errorf("singles %v, want %v", ids, want)
	}
	for _, bad := range [][]byte{nil, msg[:len(msg)-1], {0, 0, 0, 1}, append(slices.Clone(msg), 0)} {
		if _, err := messageSpans(bad, nil, &d); !errors.Is(err, wire.ErrMalformed) {
			t.Errorf("messageSpans of %d bytes that are not whole frames: %v", len(bad), err)
		}
	}
	res, _ := wire.AppendResults(nil, []wire.Result{{ID: 1}})
	if _, err := messageSpans(res, nil, &d); !errors.Is(err, wire.ErrMalformed) {
		t.Errorf("messageSpans of results: %v, want ErrMalformed", err)
	}
}

// framer passes whole frames however the bytes are cut, keeps the rest,
// and refuses a frame longer than wire.MaxFrame, keeping it to pass on.
func TestFramer(t *testing.T) {
	stream := slices.Concat(tasksFrame(t, 1), callsFrame(t, 2, 40), tasksFrame(t, 50, 51))
	for cut := 1; cut < len(stream); cut += 7 {
		var f framer
		var got [][]byte
		keep := func(frame []byte) error { got = append(got, slices.Clone(frame)); return nil }
		for p := stream; len(p) > 0; p = p[min(cut, len(p)):] {
			if err := f.add(p[:min(cut, len(p))], keep); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(bytes.Join(got, nil), stream) || len(got) != 3 || len(f.partial) != 0 {
			t.Fatalf("cut %d: %d frames, %d bytes left", cut, len(got), len(f.partial))
		}
	}
	var f framer
	huge := []byte{0xff, 0xff, 0xff, 0xff, 1, 2}
	if err := f.add(huge, func([]byte) error { return nil }); !errors.Is(err, wire.ErrFrameTooLarge) {
		t.Errorf("a 4 GiB frame: %v", err)
	}
	if !bytes.Equal(f.partial, huge) {
		t.Errorf("kept %x, want %x", f.partial, huge)
	}
}

// The queue hands each task's first result to the pool and drops those
// that come after, counting them; it refuses results a worker may not
// send.
func TestQueueTakesEachResultOnce(t *testing.T) {
	q := &queue{t: &Transport{}, log: zerolog.Nop(), wake: make(chan struct{}, 1), ended: make(chan struct{})}
	if _, err := q.opened(slices.Concat(callsFrame(t, 1, 3), tasksFrame(t, 7))); err != nil {
		t.Fatal(err)
	}
	results := func(ids ...uint64) []byte {
		var rs []wire.Result
		for _, id := range ids {
			rs = append(rs, wire.Result{ID: id, Value: []byte{0x01}})
		}
		f, err := wire.AppendResults(nil, rs)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	ids := func(body []byte) []uint64 {
		rs, err := wire.DecodeResults(body, nil)
		if err != nil {
			t.Fatal(err)
		}
		var out []uint64
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	body, err := q.take(qframe{data: results(1, 2)})
	if err != nil || !slices.Equal(ids(body), []uint64{1, 2}) {
		t.Fatalf("first results: %v, %v", body, err)
	}
	body, err = q.take(qframe{data: results(2, 3)}) // 2 again: it ran twice
	if err != nil || !slices.Equal(ids(body), []uint64{3}) {
		t.Fatalf("results with one already taken: %v, %v", ids(body), err)
	}
	if body, err = q.take(qframe{data: results(1)}); err != nil || body != nil {
		t.Fatalf("a result already taken: %v, %v", body, err)
	}
	if q.Duplicates() != 2 {
		t.Errorf("%d duplicates, want 2", q.Duplicates())
	}
	if q.open.len() != 1 || !q.open.has(7) {
		t.Errorf("open: %d tasks", q.open.len())
	}
	q.mu.Lock()
	for _, bad := range [][]wire.Result{
		{{ID: 99}}, // never sent
		{{ID: 7, Lane: wire.Ref{Pos: 1, Len: 1}}},
		{{ID: 7, Err: &wire.Error{Kind: wire.KindWorkerDied}}},
		{{ID: 7, Err: &wire.Error{Kind: wire.KindCancelled}}}, // no Cancel named it
	} {
		if err := q.check(bad); !errors.Is(err, wire.ErrMalformed) {
			t.Errorf("check(%+v) = %v, want ErrMalformed", bad[0], err)
		}
	}
	q.cancelled = []wire.Span{{First: 7, Last: 7}}
	if err := q.check([]wire.Result{{ID: 7, Err: &wire.Error{Kind: wire.KindCancelled}}}); err != nil {
		t.Errorf("a cancelled result of a task the workers were told to cancel: %v", err)
	}
	q.mu.Unlock()
}
