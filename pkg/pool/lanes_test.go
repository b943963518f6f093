package pool_test

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sync"
	"testing"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/lane"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

// lanePayload is task i's echo payload: over lane.MinPayload, and
// different for every i, so that a value read over by a later one shows.
func lanePayload(i int) []byte {
	b := bytes.Repeat([]byte{byte(i)}, lane.MinPayload+1000+i)
	binary.BigEndian.PutUint64(b, uint64(i))
	return b
}

// runLarge echoes n lane-sized payloads through p with Run, keeping every
// Raw past its callback, and checks each after the run.
func runLarge(t *testing.T, p *pool.Pool, n int) {
	t.Helper()
	kept, err := runKeeping(t, p, n, lanePayload)
	if err != nil {
		t.Fatal(err)
	}
	checkKept(t, kept, lanePayload)
}

// runKeeping echoes payload(i) for i < n through p with Run and returns
// every Raw as the callback was given it, kept past its return.
func runKeeping(t *testing.T, p *pool.Pool, n int, payload func(int) []byte) ([][]byte, error) {
	var mu sync.Mutex
	kept := make([][]byte, n)
	err := p.Run(bounded(t), n, func(i int) task.Call { return jobs.Echo.Call(payload(i)) }, func(r pool.Result) {
		mu.Lock()
		defer mu.Unlock()
		if r.Err != nil {
			t.Errorf("task %d: %v", r.Index, r.Err)
			return
		}
		kept[r.Index] = r.Raw
	})
	return kept, err
}

// checkKept checks that each Raw kept by runKeeping is still its echo.
func checkKept(t *testing.T, kept [][]byte, payload func(int) []byte) {
	t.Helper()
	for i, raw := range kept {
		if !bytes.Equal(raw, echoRaw(payload(i))) {
			t.Fatalf("task %d: the Raw kept from the callback is not its payload after the run", i)
		}
	}
}

// mapEcho echoes payloads through p with Map and checks every value.
func mapEcho(t *testing.T, p *pool.Pool, payloads [][]byte) {
	t.Helper()
	got, err := pool.Map(bounded(t), p, jobs.Echo, payloads)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if !bytes.Equal(v, payloads[i]) {
			t.Fatalf("Map: result %d: %d bytes, not its payload of %d", i, len(v), len(payloads[i]))
		}
	}
}

// Large arguments and results travel by lane both ways: Run's kept
// results are copied out before the lane is used again, and Map, Stream
// and Submit, which borrow, decode each value before it is.
func TestLanesCarryLargePayloads(t *testing.T) {
	const n = 120
	p := startPool(t, pool.WithWorkers(2))
	runLarge(t, p, n)
	// Every argument and every value went by lane, the first ones too.
	var want int64
	for i := range n {
		args, _ := jobs.Echo.Call(lanePayload(i)).AppendArgs(nil)
		want += int64(len(args) + len(echoRaw(lanePayload(i))))
	}
	if got := p.Stats().LaneBytes; got != want {
		t.Errorf("LaneBytes = %d after %d echoes, want %d: all of their arguments and values", got, n, want)
	}

	args := make([][]byte, n)
	for i := range args {
		args[i] = lanePayload(i)
	}
	mapEcho(t, p, args)
	for r, err := range pool.Stream(bounded(t), p, jobs.Echo, slices.Values(args)) {
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(r.Value, args[r.Index]) {
			t.Fatalf("Stream: result %d is not its payload", r.Index)
		}
	}
	futures := make([]*pool.Future[[]byte], 40)
	for i := range futures {
		futures[i] = pool.Submit(bounded(t), p, jobs.Echo, args[i])
	}
	for i, f := range futures {
		v, err := f.Wait(bounded(t))
		if err != nil || !bytes.Equal(v, args[i]) {
			t.Fatalf("Submit: result %d is not its payload (%v)", i, err)
		}
	}
}

// A payload larger than a lane, or than the room left in it, goes in its
// frame; the calls around it still use the lane.
func TestLaneOverflowGoesInFrames(t *testing.T) {
	p := startPool(t, pool.WithWorkers(1))
	huge := bytes.Repeat([]byte("overflow"), (lane.DefaultSize+(1<<20))/8)
	args := [][]byte{lanePayload(1), lanePayload(2), huge, lanePayload(3), huge, lanePayload(4)}
	mapEcho(t, p, args)
	// Both huge payloads, there and back, went in frames.
	st := p.Stats()
	if lb, total := st.LaneBytes, st.TaskBytes+st.ResultBytes; lb == 0 || lb > total-int64(4*len(huge)) {
		t.Errorf("LaneBytes = %d of %d task and result bytes: want the small payloads by lane, the huge ones not", lb, total)
	}
}

// Without lanes, whether the system or the worker has none, large
// payloads go in frames, with the same results.
func TestLargePayloadsWithoutLanes(t *testing.T) {
	t.Run("not made", func(t *testing.T) {
		defer pool.UseLanes(pool.UseLanes(false))
		p := startPool(t, pool.WithWorkers(2))
		runLarge(t, p, 40)
		if lb := p.Stats().LaneBytes; lb != 0 {
			t.Errorf("LaneBytes = %d with no lanes", lb)
		}
	})
	t.Run("not declared", func(t *testing.T) {
		p := startPool(t, pool.WithWorkers(2), pool.WithEnv(envMisbehave+"=no-calls"))
		runLarge(t, p, 40)
		if lb := p.Stats().LaneBytes; lb != 0 {
			t.Errorf("LaneBytes = %d with workers whose Hello does not declare lanes", lb)
		}
	})
}

// Small payloads never go by lane, the first of each worker included,
// which tries it.
func TestSmallPayloadsStayInFrames(t *testing.T) {
	p := startPool(t, pool.WithWorkers(2))
	payloads := make([][]byte, 500)
	for i := range payloads {
		payloads[i] = bytes.Repeat([]byte{byte(i)}, i*100)
	}
	mapEcho(t, p, payloads)
	if lb := p.Stats().LaneBytes; lb != 0 {
		t.Errorf("LaneBytes = %d for payloads under %d bytes", lb, lane.MinPayload)
	}
}
