package pool_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

// warmPool returns a pool of two workers that has just run 10,000 trivial
// tasks, so that it sends many tasks to a frame and a worker holds many:
// with a grace period longer than the test may wait.
func warmPool(t *testing.T) *pool.Pool {
	t.Helper()
	p := startPool(t, pool.WithWorkers(2), pool.WithGrace(5*time.Minute))
	in := make([][]byte, 10_000)
	if _, err := pool.Map(bounded(t), p, jobs.Echo, in); err != nil {
		t.Fatal(err)
	}
	return p
}

// Cancelling a Map on a warm pool reaches the tasks its workers hold: the
// one running heeds its context, the rest are answered without running,
// and no worker is killed; the grace period, minutes here, is not waited
// out.
func TestCancelMapOnWarmPool(t *testing.T) {
	p := warmPool(t)
	sleep := task.Bind(jobs.Sleep, 10)
	ctx, cancel := context.WithCancel(bounded(t))
	start := time.Now()
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := pool.Map(ctx, p, sleep, make([]int64, 1000))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Map: %v, want context.Canceled", err)
	}
	t.Logf("Map cancelled after 50 ms returned after %v", time.Since(start))
	if n := restarts(p); n != 0 {
		t.Fatalf("%d workers killed to cancel a Map of tasks that heed their context", n)
	}
	if _, err := pool.Map(bounded(t), p, jobs.Echo, [][]byte{[]byte("after")}); err != nil {
		t.Fatalf("the pool after the cancel: %v", err)
	}
}

// Breaking out of a Stream over a warm pool does the same.
func TestBreakStreamOnWarmPool(t *testing.T) {
	p := warmPool(t)
	sleep := task.Bind(jobs.Sleep, 10)
	n := 0
	for _, err := range pool.Stream(bounded(t), p, sleep, slices.Values(make([]int64, 1000))) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 5 {
			break
		}
	}
	if n := restarts(p); n != 0 {
		t.Fatalf("%d workers killed to stop a Stream of tasks that heed their context", n)
	}
}

// stubborn sleeps for as long as it is told, whatever its context says.
var stubborn = task.Register("pool_test.stubborn", func(_ context.Context, d time.Duration) (time.Duration, error) {
	time.Sleep(d)
	return d, nil
})

// A task that ignores its context is still stopped, by killing its worker
// once the grace period ends.
func TestCancelIgnoredUntilGrace(t *testing.T) {
	p := startPool(t, pool.WithWorkers(1), pool.WithGrace(200*time.Millisecond))
	ctx, cancel := context.WithCancel(bounded(t))
	time.AfterFunc(100*time.Millisecond, cancel)
	rs := make([]pool.Result, 0, 1)
	err := p.Run(ctx, 1, func(int) task.Call { return stubborn.Call(time.Hour) }, func(r pool.Result) { rs = append(rs, r) })
	if !errors.Is(err, context.Canceled) || len(rs) != 1 || rs[0].Err == nil {
		t.Fatalf("Run: %v, results %+v: want it cancelled", err, rs)
	}
	if n := waitRestarts(p, 1); n != 1 {
		t.Fatalf("%d restarts: the worker running a task that ignores its context was not killed", n)
	}
}
