package pool_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

// TrySubmit says no, at once, when the queue is full, where Submit would
// block; what it accepted runs once the worker is free, and it accepts
// again.
func TestTrySubmitFullQueue(t *testing.T) {
	p := typedPool(t, pool.WithMode(pool.Thread), pool.WithWorkers(1))
	ctx := bounded(t)
	gateOpen = make(chan struct{})
	first := pool.Submit(ctx, p, gated, 0) // holds the only worker
	var futures []*pool.Future[int]
	for i := 1; ; i++ {
		fu, ok := pool.TrySubmit(ctx, p, gated, i)
		if !ok {
			if fu != nil {
				t.Fatal("a Future with ok false")
			}
			break
		}
		if futures = append(futures, fu); len(futures) > 10_000 {
			t.Fatal("TrySubmit never found the queue full")
		}
	}
	// The queue holds 256; the first task may still wait there, not yet
	// taken by the worker, and the worker takes up to 8 at once.
	if n := len(futures); n < 255 || n > 256+8 {
		t.Errorf("%d accepted with one worker held: want the queue's 256 (less the first task if it waits there), and what the worker took", n)
	}
	close(gateOpen)
	if _, err := first.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	for i, fu := range futures {
		if v, err := fu.Wait(ctx); v != i+1 || err != nil {
			t.Fatalf("task %d: %d, %v", i+1, v, err)
		}
	}
	fu, ok := pool.TrySubmit(ctx, p, gated, 7)
	if !ok {
		t.Fatal("TrySubmit refused an idle pool")
	}
	if v, err := fu.Wait(ctx); v != 7 || err != nil {
		t.Fatalf("after the queue drained: %d, %v", v, err)
	}
}

// A call that cannot be made or a closed pool are errors in a done
// Future, not a refusal for lack of room.
func TestTrySubmitErrors(t *testing.T) {
	p := typedPool(t)
	fu, ok := pool.TrySubmit(bounded(t), p, lateFunc(), 1)
	if !ok {
		t.Fatal("refused an unknown function as if the queue were full")
	}
	if _, err := fu.Wait(bounded(t)); err == nil || !strings.Contains(err.Error(), "unknown function") {
		t.Fatalf("unknown function: %v", err)
	}
	p.Close()
	fu, ok = pool.TrySubmit(bounded(t), p, square, 1)
	if !ok {
		t.Fatal("refused on a closed pool as if the queue were full")
	}
	if _, err := fu.Wait(bounded(t)); !errors.Is(err, pool.ErrClosed) {
		t.Fatalf("closed pool: %v", err)
	}
}

// SubmitFunc calls back once per task, with its value or its error.
func TestSubmitFunc(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		const n = 500
		var mu sync.Mutex
		var wg sync.WaitGroup
		got := make([]int, 0, n)
		var failed []error
		wg.Add(n + 1)
		for i := range n {
			err := pool.SubmitFunc(bounded(t), p, square, i, func(v int, err error) {
				defer wg.Done()
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					failed = append(failed, err)
				}
				got = append(got, v)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		err := pool.SubmitFunc(bounded(t), p, napOrFail, -1, func(_ int, err error) {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			failed = append(failed, err)
		})
		if err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		slices.Sort(got)
		for i, v := range got {
			if v != i*i {
				t.Fatalf("results %v...: want each square once", got[:i+1])
			}
		}
		var te *pool.TaskError
		if len(got) != n || len(failed) != 1 || !errors.As(failed[0], &te) || te.Message != "negative: -1" {
			t.Fatalf("%d results, errors %v", len(got), failed)
		}
	})
}

// A call that is not started is an error, and done is never called; a
// closed pool is ErrClosed.
func TestSubmitFuncNotStarted(t *testing.T) {
	p := typedPool(t, pool.WithMode(pool.Thread), pool.WithWorkers(1))
	called := make(chan error, 10)
	done := func(_ int, err error) { called <- err }
	bad := task.Bind(badBind, any(make(chan int)))
	if err := pool.SubmitFunc(bounded(t), p, bad, 1, done); err == nil || !strings.Contains(err.Error(), "cannot bind") {
		t.Errorf("a call that cannot be made: %v", err)
	}

	gateOpen, gateHeld = make(chan struct{}), make(chan struct{})
	defer func() { gateHeld = nil }()
	pool.Submit(bounded(t), p, gated, 0)
	<-gateHeld          // the worker holds it: the queue's room is the queue's alone
	for i := 1; ; i++ { // fill the queue behind the held worker
		if _, ok := pool.TrySubmit(bounded(t), p, gated, i); !ok {
			break
		}
	}
	ctx, cancel := context.WithTimeout(bounded(t), 20*time.Millisecond)
	defer cancel()
	if err := pool.SubmitFunc(ctx, p, gated, 1, done); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("context ended waiting for room: %v", err)
	}
	close(gateOpen)
	p.Close()
	if err := pool.SubmitFunc(bounded(t), p, gated, 1, done); !errors.Is(err, pool.ErrClosed) {
		t.Errorf("closed pool: %v", err)
	}
	select {
	case err := <-called:
		t.Fatalf("done called for a call not started: %v", err)
	default:
	}
}
