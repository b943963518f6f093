package coordinator_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

// entries counts the tasks of inFlight executing at once, and the most it
// has seen.
var entries struct {
	now, most atomic.Int64
}

// inFlight enters, waits up to ms milliseconds for any task to have seen
// another executing beside it, and leaves. Run without a GIL, tasks
// overlap; behind one, the wait always runs out.
var inFlight = task.Register("coordinator_test.inflight", func(ctx context.Context, ms int64) (int64, error) {
	n := entries.now.Add(1)
	defer entries.now.Add(-1)
	deadline := time.Now().Add(time.Duration(ms) * time.Millisecond)
	for {
		for m := entries.most.Load(); n > m && !entries.most.CompareAndSwap(m, n); m = entries.most.Load() {
		}
		if entries.most.Load() > 1 || !time.Now().Before(deadline) {
			return n, nil
		}
		n = entries.now.Load()
	}
})

// mostInFlight runs tasks of inFlight on a thread pool and returns the most
// that executed at once.
func mostInFlight(t *testing.T, gil bool, tasks int, ms int64) int64 {
	t.Helper()
	entries.most.Store(0)
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithMode(pool.Thread), pool.WithWorkers(4), pool.WithGIL(gil))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	err = p.Run(ctx, tasks, func(int) task.Call { return inFlight.Call(ms) }, func(r pool.Result) {
		if r.Err != nil {
			t.Errorf("task %d: %v", r.Index, r.Err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return entries.most.Load()
}

func TestGILSerializesExecution(t *testing.T) {
	if most := mostInFlight(t, true, 40, 2); most != 1 {
		t.Errorf("with the GIL, %d tasks executed at once; want 1", most)
	}
	// The control: the same tasks overlap without it, so the check above
	// can see two at once.
	if most := mostInFlight(t, false, 2, 5000); most < 2 {
		t.Errorf("without the GIL, at most %d task executed at once; want several", most)
	}
}

// meeting is a rendezvous of n tasks that only blocked tasks can reach
// together: each arrives inside task.Blocking and waits there for the rest.
var meeting struct {
	mu      sync.Mutex
	arrived int
	all     chan struct{}
	n       int
}

var meet = task.Register("coordinator_test.meet", func(ctx context.Context, _ int64) (bool, error) {
	met := false
	task.Blocking(ctx, func() {
		meeting.mu.Lock()
		if meeting.arrived++; meeting.arrived == meeting.n {
			close(meeting.all)
		}
		meeting.mu.Unlock()
		select {
		case <-meeting.all:
			met = true
		case <-time.After(10 * time.Second):
		}
	})
	return met, nil
})

func TestGILReleasedWhileBlocking(t *testing.T) {
	const n = 4
	meeting.arrived, meeting.n, meeting.all = 0, n, make(chan struct{})
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithMode(pool.Thread), pool.WithWorkers(n), pool.WithGIL(true))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	err = p.Run(ctx, n, func(i int) task.Call { return meet.Call(int64(i)) }, func(r pool.Result) {
		if r.Err != nil || r.Value != true {
			t.Errorf("task %d: %v, %v: the %d tasks never were in task.Blocking together", r.Index, r.Value, r.Err, n)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// recorder is a task.Releaser that counts how often it was released.
type recorder struct{ released, acquired int }

func (r *recorder) Release() { r.released++ }
func (r *recorder) Acquire() { r.acquired++ }

// The sleep job gives up the GIL while it sleeps, as CPython's time.sleep
// does; the CPU-bound jobs hold it throughout.
func TestWhichJobsReleaseTheGIL(t *testing.T) {
	for _, tc := range []struct {
		call    task.Call
		release bool
	}{
		{task.Bind(jobs.Sleep, 1).Call(0), true},
		{task.Bind(jobs.Primes, 1000).Call(3), false},
		{task.Bind(jobs.Hash, jobs.HashParams{Rounds: 10, Seed: 1}).Call(3), false},
		{jobs.Echo.Call([]byte("x")), false},
	} {
		var r recorder
		if _, err := tc.call.Run(task.WithReleaser(context.Background(), &r)); err != nil {
			t.Fatalf("%s: %v", tc.call.Func(), err)
		}
		if got := r.released > 0; got != tc.release || r.released != r.acquired {
			t.Errorf("%s: released %d times, acquired %d; want release=%v and as many acquires",
				tc.call.Func(), r.released, r.acquired, tc.release)
		}
	}
}
