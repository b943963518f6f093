package transporttest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

// The workers say who they are: a process each, with the functions of
// pkg/jobs, sorted.
func testHandshake(t *testing.T, newTransport Factory) {
	p := startPool(t, newTransport, pool.WithWorkers(2))
	funcs := p.Funcs()
	if !slices.IsSorted(funcs) || !slices.Contains(funcs, "echo") || !slices.Contains(funcs, "hash") {
		t.Errorf("functions %v: want them sorted, with echo and hash", funcs)
	}
	ws := p.Workers()
	if len(ws) != 2 || ws[0].PID <= 0 || ws[0].PID == ws[1].PID {
		t.Errorf("workers %+v: want two, each its own process", ws)
	}
}

// A CPU-bound job gives the same outputs over the transport as on
// goroutines.
func testSameResults(t *testing.T, newTransport Factory) {
	hash := task.Bind(jobs.Hash, jobs.HashParams{Rounds: 50, Seed: 7})
	in := make([]int64, 300)
	for i := range in {
		in[i] = int64(i)
	}
	threads, err := pool.New(bounded(t), pool.WithMode(pool.Thread), pool.WithWorkers(2))
	if err != nil {
		t.Fatal(err)
	}
	want, err := pool.Map(bounded(t), threads, hash, in)
	threads.Close()
	if err != nil {
		t.Fatal(err)
	}
	p := startPool(t, newTransport, pool.WithWorkers(2))
	got, err := pool.Map(bounded(t), p, hash, in)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatal("outputs differ from thread mode's")
	}
}

// Payloads from empty to 1 MiB come back as sent, one at a time and in
// batches.
func testPayloads(t *testing.T, newTransport Factory) {
	p := startPool(t, newTransport, pool.WithWorkers(2))
	var in [][]byte
	for _, n := range []int{0, 1, 100, 4 << 10, 300 << 10, 1 << 20} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + n)
		}
		in = append(in, b)
	}
	for _, b := range in {
		checkEchoes(t, p, [][]byte{b})
	}
	checkEchoes(t, p, in)
	checkEchoes(t, p, echoes(5000))
}

// collect runs n calls on p and returns their results by index, failing t
// if one comes twice or never.
func collect(t *testing.T, p *pool.Pool, n int, build func(int) task.Call, during func()) []pool.Result {
	t.Helper()
	var mu sync.Mutex
	got := make([]pool.Result, n)
	seen := make([]bool, n)
	done := make(chan error, 1)
	go func() {
		done <- p.Run(bounded(t), n, build, func(r pool.Result) {
			mu.Lock()
			defer mu.Unlock()
			if seen[r.Index] {
				t.Errorf("task %d: a second result", r.Index)
			}
			seen[r.Index], got[r.Index] = true, r
		})
	}()
	if during != nil {
		during()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for i, ok := range seen {
		if !ok {
			t.Fatalf("task %d: no result", i)
		}
	}
	return got
}

// A worker SIGKILLed in the middle of a run loses nothing: its tasks run
// elsewhere, and it is replaced.
func testRetryAfterKill(t *testing.T, newTransport Factory) {
	p := startPool(t, newTransport, pool.WithWorkers(2), pool.WithRetries(2))
	sleep := task.Bind(jobs.Sleep, 20)
	rs := collect(t, p, 40, func(i int) task.Call { return sleep.Call(int64(i)) }, func() {
		time.Sleep(100 * time.Millisecond)
		pid := p.Workers()[0].PID
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Errorf("killing worker %d: %v", pid, err)
		}
	})
	for i, r := range rs {
		if r.Err != nil {
			t.Errorf("task %d: %v", i, r.Err)
		}
	}
	if n := restarts(p); n < 1 {
		t.Errorf("%d restarts after a worker was killed", n)
	}
}

// A task that kills every worker it runs on fails, as worker_died, and
// the tasks beside it succeed.
func testWorkerCrash(t *testing.T, newTransport Factory) {
	p := startPool(t, newTransport, pool.WithWorkers(2), pool.WithRetries(1))
	fault := task.Bind(jobs.Fault, jobs.FaultSpec{Mode: "exit", Every: 7})
	rs := collect(t, p, 10, func(i int) task.Call { return fault.Call(int64(i + 1)) }, nil)
	for i, r := range rs {
		var te *pool.TaskError
		switch {
		case i+1 == 7 && (!errors.As(r.Err, &te) || te.Kind != wire.KindWorkerDied):
			t.Errorf("task %d, which exits its worker: %v, want worker_died", i, r.Err)
		case i+1 != 7 && r.Err != nil:
			t.Errorf("task %d: %v", i, r.Err)
		}
	}
}

// A task past its timeout fails as timed out, its worker replaced; the
// others succeed.
func testTaskTimeout(t *testing.T, newTransport Factory) {
	p := startPool(t, newTransport, pool.WithWorkers(2), pool.WithTaskTimeout(300*time.Millisecond))
	sleep := task.Bind(jobs.Sleep, 0)
	rs := collect(t, p, 6, func(i int) task.Call {
		if i == 0 {
			return task.Bind(jobs.Sleep, 60_000).Call(0)
		}
		return sleep.Call(int64(i))
	}, nil)
	var te *pool.TaskError
	if !errors.As(rs[0].Err, &te) || te.Kind != wire.KindTimeout {
		t.Errorf("the task past its timeout: %v, want a timeout", rs[0].Err)
	}
	for i, r := range rs[1:] {
		if r.Err != nil {
			t.Errorf("task %d: %v", i+1, r.Err)
		}
	}
}

// A worker that has been sent its quota of tasks is replaced, and no task
// is lost on the way.
func testRecycling(t *testing.T, newTransport Factory) {
	p := startPool(t, newTransport, pool.WithWorkers(1), pool.WithMaxTasksPerWorker(5))
	checkEchoes(t, p, echoes(23))
	if n := restarts(p); n < 4 {
		t.Errorf("%d restarts for 23 tasks at 5 a worker, want at least 4", n)
	}
}

// A run cancelled while its workers hold its tasks ends without waiting
// for them: the task running heeds its cancelled context, those queued are
// not run, and no worker is killed for it, with a grace period longer than
// the test waits. Every task, the one running included, ends cancelled;
// none runs its 20 s to the end.
func testCancel(t *testing.T, newTransport Factory) {
	p := startPool(t, newTransport, pool.WithWorkers(1), pool.WithGrace(5*time.Minute))
	sleep := task.Bind(jobs.Sleep, 20_000)
	ctx, cancel := context.WithCancel(bounded(t))
	time.AfterFunc(200*time.Millisecond, cancel)
	var mu sync.Mutex
	var rs []pool.Result
	err := p.Run(ctx, 4, func(i int) task.Call { return sleep.Call(int64(i)) }, func(r pool.Result) {
		mu.Lock()
		defer mu.Unlock()
		rs = append(rs, r)
	})
	if !errors.Is(err, context.Canceled) || len(rs) != 4 {
		t.Fatalf("Run: %v with %d results, want context.Canceled with 4", err, len(rs))
	}
	for _, r := range rs {
		var te *pool.TaskError
		if !errors.As(r.Err, &te) || te.Kind != wire.KindCancelled {
			t.Errorf("task %d: %v, want it cancelled", r.Index, r.Err)
		}
	}
	if n := restarts(p); n != 0 {
		t.Errorf("%d workers killed to cancel tasks that heed their context", n)
	}
}
