package pool_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

// chunked starts a process pool whose next Run puts short calls into
// chunks (Calls messages) from its first call on.
func chunked(t *testing.T, opts ...pool.Option) *pool.Pool {
	t.Helper()
	p := startPool(t, append([]pool.Option{pool.WithWorkers(2)}, opts...)...)
	pool.SetTaskNanos(p, 1)
	return p
}

// checkChunksSent fails t unless the run's task frames were too small to
// carry each call as a task of its own (id, function name and bound
// arguments each time): chunks carry them once.
func checkChunksSent(t *testing.T, p *pool.Pool, n int, perTask int) {
	t.Helper()
	if got := p.Stats().TaskBytes; got >= int64(n*perTask) {
		t.Errorf("%d task bytes for %d calls: chunks would take less than %d", got, n, n*perTask)
	}
}

// The calls of chunks each get their own result, with their own index, and
// chunks end where the function or its bound arguments change.
func TestChunksRunEveryCall(t *testing.T) {
	const n = 6000
	p := chunked(t)
	double, triple := task.Bind(scale, 2), task.Bind(scale, 3)
	build := func(i int) task.Call {
		switch {
		case i%1000 >= 900:
			return square.Call(i)
		case i/1000%2 == 1:
			return triple.Call(i)
		}
		return double.Call(i)
	}
	want := func(i int) int64 {
		switch {
		case i%1000 >= 900:
			return int64(i * i)
		case i/1000%2 == 1:
			return int64(3 * i)
		}
		return int64(2 * i)
	}
	rs := newResults(t)
	if err := p.Run(bounded(t), n, build, rs.add); err != nil {
		t.Fatal(err)
	}
	rs.checkAll(n)
	for i, r := range rs.byIdx {
		if v, err := r.Decode(); err != nil || toInt(v) != want(i) {
			t.Errorf("call %d: %v, %v; want %d", i, v, err, want(i))
		}
	}
	// A task of scale with its bound [k] and args [i] takes at least 16 bytes.
	checkChunksSent(t, p, n, 12)
}

// faulty returns the calls of fault in mode on every every-th of n, the
// others returning their index at once.
func faulty(mode string, every int) func(int) task.Call {
	f := task.Bind(jobs.Fault, jobs.FaultSpec{Mode: mode, Every: int64(every)})
	return func(i int) task.Call { return f.Call(int64(i)) }
}

// A call that kills its worker in the middle of a chunk fails alone; the
// calls of its chunk that had no result yet run again elsewhere, and none
// runs to two results.
func TestChunkCallCrashes(t *testing.T) {
	const n, every = 2000, 500 // calls 0, 500, 1000 and 1500 exit(3)
	p := chunked(t, pool.WithRetries(1))
	checkFaulty(t, p, "exit", n, every, wire.KindWorkerDied)
}

// checkFaulty runs n calls of fault in mode, every every-th misbehaving,
// and checks that those alone fail, with kind, and the others return their
// index, each call with one result.
func checkFaulty(t *testing.T, p *pool.Pool, mode string, n, every int, kind string) {
	t.Helper()
	rs := newResults(t)
	if err := p.Run(bounded(t), n, faulty(mode, every), rs.add); err != nil {
		t.Fatal(err)
	}
	rs.checkAll(n)
	for i, r := range rs.byIdx {
		var te *pool.TaskError
		switch {
		case i%every != 0:
			if v, err := r.Decode(); err != nil || toInt(v) != int64(i) {
				t.Errorf("call %d: %v, %v", i, v, r.Err)
			}
		case !errors.As(r.Err, &te) || te.Kind != kind:
			t.Errorf("call %d: want kind %s, got %v", i, kind, r.Err)
		}
	}
}

// A call that hangs in the middle of a chunk times out alone: the calls
// before it in its chunk keep their results, those after it run elsewhere.
func TestChunkCallTimesOut(t *testing.T) {
	const n, every = 1200, 400 // calls 0, 400 and 800 hang
	p := chunked(t, pool.WithTaskTimeout(300*time.Millisecond))
	checkFaulty(t, p, "hang", n, every, wire.KindTimeout)
}

// A call whose argument cannot be encoded fails alone with kind encode; the
// other calls of its chunk go as tasks of their own.
func TestChunkCallUnencodable(t *testing.T) {
	const n, bad = 500, 77
	p := chunked(t)
	rs := newResults(t)
	build := func(i int) task.Call {
		if i == bad {
			return typeOf.Call(make(chan int))
		}
		return typeOf.Call(i)
	}
	if err := p.Run(bounded(t), n, build, rs.add); err != nil {
		t.Fatal(err)
	}
	rs.checkAll(n)
	for i, r := range rs.byIdx {
		var te *pool.TaskError
		switch {
		case i == bad:
			if !errors.As(r.Err, &te) || te.Kind != wire.KindEncode {
				t.Errorf("call %d: want kind %s, got %v", i, wire.KindEncode, r.Err)
			}
		case r.Err != nil:
			t.Errorf("call %d: %v", i, r.Err)
		}
	}
}

// A worker whose Hello does not offer Calls gets a chunk's calls as tasks.
func TestChunksToWorkerWithoutCalls(t *testing.T) {
	const n = 3000
	p := chunked(t, pool.WithEnv(envMisbehave+"=no-calls"))
	rs := newResults(t)
	double := task.Bind(scale, 2)
	if err := p.Run(bounded(t), n, func(i int) task.Call { return double.Call(i) }, rs.add); err != nil {
		t.Fatal(err)
	}
	rs.checkAll(n)
	for i, r := range rs.byIdx {
		if v, err := r.Decode(); err != nil || toInt(v) != int64(2*i) {
			t.Errorf("call %d: %v, %v", i, v, r.Err)
		}
	}
	for _, w := range p.Workers() {
		if w.Restarts > 0 {
			t.Errorf("worker %d restarted %d times: was it sent a Calls message?", w.ID, w.Restarts)
		}
	}
}

// A run stopped in its middle gives each of its calls one result: those of
// chunks not yet sent are cancelled.
func TestChunksCancelled(t *testing.T) {
	const n = 200_000
	p := chunked(t)
	ctx, cancel := context.WithCancel(bounded(t))
	defer cancel()
	rs := newResults(t)
	var got atomic.Int64
	double := task.Bind(scale, 2)
	err := p.Run(ctx, n, func(i int) task.Call { return double.Call(i) }, func(r pool.Result) {
		rs.add(r)
		if got.Add(1) == 1000 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want context.Canceled", err)
	}
	rs.checkAll(n)
	cancelled := 0
	for i, r := range rs.byIdx {
		var te *pool.TaskError
		switch {
		case errors.As(r.Err, &te) && te.Kind == wire.KindCancelled:
			cancelled++
		case r.Err != nil:
			t.Errorf("call %d: %v", i, r.Err)
		}
	}
	if cancelled == 0 {
		t.Error("no call was cancelled: the run ended before it was stopped")
	}
}

// A call whose build waits for the result of the one before still gets it
// while another Run of short calls keeps the queue full: a chunk never
// holds a call back.
func TestChunksHoldNoCallBack(t *testing.T) {
	p := chunked(t)
	ctx, stop := context.WithCancel(bounded(t))
	defer stop()
	busy := make(chan error, 1)
	started := make(chan struct{})
	var once sync.Once
	double := task.Bind(scale, 2)
	go func() {
		busy <- p.Run(ctx, 5_000_000, func(i int) task.Call { return double.Call(i) }, func(pool.Result) {
			once.Do(func() { close(started) })
		})
	}()
	<-started
	const n = 20
	answered := make(chan int, n)
	build := func(i int) task.Call {
		if i > 0 {
			select {
			case <-answered:
			case <-time.After(30 * time.Second): // a hang guard only
				t.Errorf("call %d: the call before it never ran", i)
			}
		}
		return square.Call(i)
	}
	if err := p.Run(bounded(t), n, build, func(r pool.Result) {
		if v, err := r.Decode(); err != nil || toInt(v) != int64(r.Index*r.Index) {
			t.Errorf("call %d: %v, %v", r.Index, v, r.Err)
		}
		answered <- r.Index
	}); err != nil {
		t.Fatal(err)
	}
	stop()
	if err := <-busy; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}

// Runs sharing a pool each get the results of their own calls while their
// chunks are used again, by them and by each other, once done with.
func TestChunksOfConcurrentRuns(t *testing.T) {
	const runs, rounds, n = 3, 4, 4000
	p := chunked(t)
	double := task.Bind(scale, 2)
	var wg sync.WaitGroup
	for r := range runs {
		wg.Go(func() {
			for round := range rounds {
				base := (r*rounds + round) * n // every call of every run its own argument
				rs := newResults(t)
				if err := p.Run(bounded(t), n, func(i int) task.Call { return double.Call(base + i) }, rs.add); err != nil {
					t.Error(err)
					return
				}
				rs.checkAll(n)
				for i, res := range rs.byIdx {
					if v, err := res.Decode(); err != nil || toInt(v) != int64(2*(base+i)) {
						t.Errorf("run %d round %d call %d: %v, %v; want %d", r, round, i, v, res.Err, 2*(base+i))
						return
					}
				}
			}
		})
	}
	wg.Wait()
	checkChunksSent(t, p, runs*rounds*n, 12)
}
