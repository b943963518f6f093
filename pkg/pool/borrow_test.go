package pool_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"sync"
	"testing"
	"unsafe"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

// bigPayload is task i's echo payload: large enough that its result stays
// in the frame it came in (over the receiver's small-value copy), and
// different for every i, so that a result read over by a later one shows.
func bigPayload(i int) []byte {
	b := bytes.Repeat([]byte{byte(i)}, 1000)
	binary.BigEndian.PutUint64(b, uint64(i))
	return b
}

// echoRaw is the encoded result of echoing p.
func echoRaw(p []byte) []byte { return wire.AppendBinary(nil, p) }

// With BorrowResults, each Raw is right while the callback runs, and the
// pool reads later results into the same memory: with one task at a time,
// one result per frame, results arrive at a few addresses (a frame a few
// bytes longer than the one before, by its compute time's encoding, takes
// a new buffer). Without it, Raw is the callback's to keep: intact after
// Run, each in memory of its own.
func TestBorrowResults(t *testing.T) {
	const n = 200
	build := func(i int) task.Call { return jobs.Echo.Call(bigPayload(i)) }
	for _, borrow := range []bool{true, false} {
		oneAtATime := func(o *pool.Options) { o.Prefetch = 1 }
		p := startPool(t, pool.WithWorkers(1), oneAtATime, pool.WithBorrowResults(borrow))
		var mu sync.Mutex
		kept := make([][]byte, n)
		addrs := map[*byte]bool{}
		err := p.Run(bounded(t), n, build, func(r pool.Result) {
			mu.Lock()
			defer mu.Unlock()
			if r.Err != nil {
				t.Errorf("borrow %v: task %d: %v", borrow, r.Index, r.Err)
				return
			}
			if !bytes.Equal(r.Raw, echoRaw(bigPayload(r.Index))) {
				t.Errorf("borrow %v: task %d: wrong value in the callback", borrow, r.Index)
			}
			kept[r.Index] = r.Raw
			addrs[unsafe.SliceData(r.Raw)] = true
		})
		if err != nil {
			t.Fatal(err)
		}
		if borrow {
			if len(addrs) > n/10 {
				t.Errorf("%d borrowed results came at %d addresses; want a few, the memory used again", n, len(addrs))
			}
			continue
		}
		if len(addrs) != n {
			t.Errorf("kept results came at %d addresses; want %d, one each", len(addrs), n)
		}
		for i, raw := range kept {
			if !bytes.Equal(raw, echoRaw(bigPayload(i))) {
				t.Fatalf("task %d: the Raw kept from the callback changed after it", i)
			}
		}
	}
}

// Map, Submit and Stream decode each result as it arrives, so they borrow
// results whatever the option says: their values must hold after later
// frames were read over the ones they came in. Many tasks on two workers
// with automatic batching, so results come many to a frame.
func TestTypedCallsCopyBorrowedResults(t *testing.T) {
	const n = 3000
	p := startPool(t, pool.WithWorkers(2))
	args := make([][]byte, n)
	for i := range args {
		args[i] = bigPayload(i)
	}
	check := func(how string, i int, got []byte) {
		t.Helper()
		if !bytes.Equal(got, args[i]) {
			t.Fatalf("%s: result %d is not its payload once later results came", how, i)
		}
	}

	got, err := pool.Map(bounded(t), p, jobs.Echo, args)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		check("Map", i, v)
	}

	streamed := make([][]byte, n)
	for r, err := range pool.Stream(bounded(t), p, jobs.Echo, slices.Values(args)) {
		if err != nil {
			t.Fatal(err)
		}
		streamed[r.Index] = r.Value
	}
	for i, v := range streamed {
		check("Stream", i, v)
	}

	futures := make([]*pool.Future[[]byte], 300)
	for i := range futures {
		futures[i] = pool.Submit(bounded(t), p, jobs.Echo, args[i])
	}
	for i, f := range futures {
		v, err := f.Wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		check("Submit", i, v)
	}
}

// A frame may hold the results of a run that borrows them and of one that
// keeps them: it is then not read over, and the Raw kept by the second
// stays intact. A Map and a Run share one worker, so that frames mix.
func TestBorrowingAndKeepingRunsShareFrames(t *testing.T) {
	const n = 2000
	p := startPool(t, pool.WithWorkers(1))
	var mapErr error
	done := make(chan struct{})
	go func() { // owned by done, awaited below
		defer close(done)
		args := make([][]byte, n)
		for i := range args {
			args[i] = bigPayload(n + i)
		}
		_, mapErr = pool.Map(bounded(t), p, jobs.Echo, args)
	}()
	kept, err := runKeeping(t, p, n, bigPayload)
	<-done
	if err != nil || mapErr != nil {
		t.Fatal(err, mapErr)
	}
	checkKept(t, kept, bigPayload)
}
