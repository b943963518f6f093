package pool_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

// needSpare skips a test of the calls a caller sends and reads itself,
// which are made only with a processor to spare (see nearReader).
func needSpare(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("lone calls go directly only with a processor to spare")
	}
}

// waitParked waits until a receiver of p is parked, so that the next lone
// call goes directly: a receiver parks as it delivers its last results,
// and a caller they release waits for it only a few yields.
func waitParked(t *testing.T, p *pool.Pool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); pool.ParkedReceivers(p) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no receiver parks on an idle pool")
		}
	}
}

// one runs c alone and returns its result.
func one(ctx context.Context, p *pool.Pool, c task.Call) (pool.Result, error) {
	var r pool.Result
	err := p.Run(ctx, 1, func(int) task.Call { return c }, func(got pool.Result) { r = got })
	return r, err
}

// Lone calls on an idle pool go directly, and come back right; a Run of
// several calls in between goes the usual way, and lone calls go directly
// again after it.
func TestDirectCalls(t *testing.T) {
	needSpare(t)
	p := startPool(t, pool.WithWorkers(1))
	ctx := bounded(t)
	check := func(from, to int) {
		t.Helper()
		waitParked(t, p)
		before := pool.DirectCalls(p)
		for i := from; i < to; i++ {
			r, err := one(ctx, p, square.Call(i))
			if err != nil || r.Err != nil {
				t.Fatalf("square(%d): %v, %v", i, err, r.Err)
			}
			if v, err := square.Decode(r.Raw); err != nil || v != i*i || r.Index != 0 || r.Attempts != 1 {
				t.Fatalf("square(%d): %d (%v), index %d, attempts %d", i, v, err, r.Index, r.Attempts)
			}
		}
		// A caller released before the receiver parked, which it waits
		// for only a few yields, goes the usual way: rarely, but a loaded
		// machine may delay the receiver.
		if n := pool.DirectCalls(p) - before; n < int64(to-from)/2 {
			t.Fatalf("calls %d to %d: %d went directly", from, to, n)
		}
	}
	check(0, 100)
	got, err := pool.Map(ctx, p, square, []int{1, 2, 3, 4, 5})
	if err != nil || len(got) != 5 || got[4] != 25 {
		t.Fatalf("Map between lone calls: %v, %v", got, err)
	}
	check(100, 200)
}

// A lone call sent directly asks its worker to poll for the next one
// (Options.Spin), with the pool's default or the set spin; frames the
// sender sends, and every frame of a pool that does not spin, ask nothing.
// The worker here answers each task with the spin its frame asked for.
func TestDirectSpin(t *testing.T) {
	needSpare(t)
	ctx := bounded(t)
	for _, tc := range []struct {
		opt  pool.Option
		want time.Duration
	}{
		{nil, pool.DefaultSpin},
		{pool.WithSpin(20 * time.Microsecond), 20 * time.Microsecond},
		{pool.WithSpin(0), 0},
	} {
		opts := []pool.Option{pool.WithWorkers(1), pool.WithEnv(envMisbehave + "=tell-spin")}
		if tc.opt != nil {
			opts = append(opts, tc.opt)
		}
		p := startPool(t, opts...)
		asked := func(r pool.Result) time.Duration {
			t.Helper()
			var ns int64
			if r.Err != nil || msgpack.Unmarshal(r.Raw, &ns) != nil {
				t.Fatalf("result %+v", r)
			}
			return time.Duration(ns)
		}
		waitParked(t, p)
		before := pool.DirectCalls(p)
		r, err := one(ctx, p, jobs.Echo.Call(nil))
		if err != nil {
			t.Fatal(err)
		}
		if pool.DirectCalls(p) != before+1 {
			t.Fatalf("spin %v: the lone call did not go directly", tc.want)
		}
		if got := asked(r); got != tc.want {
			t.Errorf("a lone call asked for a spin of %v, want %v", got, tc.want)
		}
		err = p.Run(ctx, 3, func(int) task.Call { return jobs.Echo.Call(nil) }, func(r pool.Result) {
			if got := asked(r); got != 0 {
				t.Errorf("a call of a Run of 3 asked for a spin of %v", got)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := pool.CallerSpin(p); got != tc.want {
			t.Errorf("a lone call's caller spins %v, want %v", got, tc.want)
		}
		if tc.want > 0 {
			pool.SetTaskNanos(p, int64(tc.want)) // tasks that take as long as the spin
			if got := pool.CallerSpin(p); got != 0 {
				t.Errorf("a lone call's caller spins %v for tasks of %v", got, tc.want)
			}
		}
	}
}

// A worker that dies under a lone call is replaced, and the call retried,
// alone, as any call in flight: the caller gives the reading back to the
// receiver, which salvages it.
func TestDirectWorkerDies(t *testing.T) {
	needSpare(t)
	p := startPool(t, pool.WithWorkers(1), pool.WithRetries(2))
	ctx := bounded(t)
	waitParked(t, p)
	before := pool.DirectCalls(p)
	exit := task.Bind(jobs.Fault, jobs.FaultSpec{Mode: "exit", Every: 1})
	r, err := one(ctx, p, exit.Call(0))
	var te *pool.TaskError
	switch {
	case err != nil:
		t.Fatal(err)
	case pool.DirectCalls(p) == before:
		t.Fatal("the call that killed its worker did not go directly")
	case !errors.As(r.Err, &te) || te.Kind != wire.KindWorkerDied || r.Attempts != 3:
		t.Fatalf("got %v after %d attempts; want %s after 3", r.Err, r.Attempts, wire.KindWorkerDied)
	}
	if n := waitRestarts(p, 3); n != 3 {
		t.Fatalf("%d restarts for 3 deaths", n)
	}
	r, err = one(ctx, p, square.Call(7))
	if v, _ := square.Decode(r.Raw); err != nil || r.Err != nil || v != 49 {
		t.Fatalf("after the deaths: %d, %v, %v", v, err, r.Err)
	}
}

// A lone call whose context ends is cancelled once the grace period is
// over: its worker is killed, which ends the caller's read.
func TestDirectCancelled(t *testing.T) {
	needSpare(t)
	p := startPool(t, pool.WithWorkers(1), pool.WithGrace(50*time.Millisecond))
	waitParked(t, p)
	before := pool.DirectCalls(p)
	ctx, cancel := context.WithTimeout(bounded(t), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	r, err := one(ctx, p, napOrFail.Call(60_000))
	var te *pool.TaskError
	switch {
	case !errors.Is(err, context.DeadlineExceeded):
		t.Fatalf("Run returned %v; want the context's end", err)
	case pool.DirectCalls(p) == before:
		t.Fatal("the call did not go directly")
	case !errors.As(r.Err, &te) || te.Kind != wire.KindCancelled:
		t.Fatalf("result %v; want %s", r.Err, wire.KindCancelled)
	case time.Since(start) > 30*time.Second:
		t.Fatalf("cancelled after %v", time.Since(start))
	}
	if r, err := one(bounded(t), p, square.Call(3)); err != nil || r.Err != nil {
		t.Fatalf("after the cancelled call: %v, %v", err, r.Err)
	}
}

// Close while a caller reads its own result: the worker finishes the call
// within the grace period, the Run and Close return, and no worker is left.
func TestDirectClose(t *testing.T) {
	needSpare(t)
	p := startPool(t, pool.WithWorkers(1), pool.WithGrace(10*time.Second))
	waitParked(t, p)
	before := pool.DirectCalls(p)
	done := make(chan pool.Result, 1)
	go func() {
		r, _ := one(bounded(t), p, napOrFail.Call(300))
		done <- r
	}()
	for deadline := time.Now().Add(10 * time.Second); pool.DirectCalls(p) == before; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the call did not go directly")
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.Err != nil {
		t.Errorf("the call under way at Close: %v; want its result, within the grace period", r.Err)
	}
	checkNoChildren(t)
}

// Lone calls from many goroutines, beside Runs of many calls, on a pool of
// two: each gets its own result, whichever way it went.
func TestDirectConcurrent(t *testing.T) {
	needSpare(t)
	p := startPool(t, pool.WithWorkers(2))
	ctx := bounded(t)
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for i := range 150 {
				x := g*1000 + i
				r, err := one(ctx, p, square.Call(x))
				if v, _ := square.Decode(r.Raw); err != nil || r.Err != nil || v != x*x {
					t.Errorf("square(%d): %d, %v, %v", x, v, err, r.Err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		in := make([]int, 40)
		for i := range in {
			in[i] = i
		}
		for range 20 {
			got, err := pool.Map(ctx, p, square, in)
			if err != nil || got[39] != 39*39 {
				t.Errorf("Map beside lone calls: %v", err)
				return
			}
		}
	})
	wg.Wait()
	if pool.DirectCalls(p) == 0 {
		t.Error("no lone call went directly")
	}
}

// A lone call's callback that panics, on the caller's goroutine, leaves
// the pool usable: the reading goes back to the receiver.
func TestDirectCallbackPanics(t *testing.T) {
	needSpare(t)
	p := startPool(t, pool.WithWorkers(1))
	waitParked(t, p)
	before := pool.DirectCalls(p)
	recovered := func() (v any) {
		defer func() { v = recover() }()
		p.Run(bounded(t), 1, func(int) task.Call { return square.Call(3) }, func(pool.Result) { panic("callback") })
		return nil
	}()
	if recovered != "callback" || pool.DirectCalls(p) == before {
		t.Fatalf("recovered %v, direct calls %d → %d; want the callback's panic, from a direct call", recovered, before, pool.DirectCalls(p))
	}
	if r, err := one(bounded(t), p, square.Call(4)); err != nil || r.Err != nil {
		t.Fatalf("after the panic: %v, %v", err, r.Err)
	}
}

// Lone calls that must run at once, on a pool whose workers hold one task
// each (Prefetch 1): one goes directly to a worker while the other is
// queued, and a sender that took it for that worker before the direct call
// arrived passes it on to the other worker instead of queueing it behind.
func TestDirectPrefetchOne(t *testing.T) {
	needSpare(t)
	p := startPool(t, pool.WithWorkers(2), func(o *pool.Options) { o.Prefetch = 1 })
	for round := range 10 {
		waitParked(t, p)
		ctx, cancel := context.WithTimeout(bounded(t), 20*time.Second)
		meet := task.Bind(jobs.BarrierRounds, jobs.BarrierSpec{Name: fmt.Sprintf("meet%d", round), Parties: 2, Rounds: 1})
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				if r, err := one(ctx, p, meet.Call(0)); err != nil || r.Err != nil {
					t.Errorf("round %d: %v, %v", round, err, r.Err)
				}
			})
		}
		wg.Wait()
		cancel()
		if t.Failed() {
			return
		}
	}
}
