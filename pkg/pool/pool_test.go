package pool_test

import (
	"context"
	"sync"
	"testing"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

func runPrimes(t *testing.T, opts ...pool.Option) ([]int64, map[int]bool) {
	t.Helper()
	ctx := context.Background()
	p, err := pool.New(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	f := task.Bind(jobs.Primes, 10000)
	out := make([]int64, 100)
	pids := map[int]bool{}
	var mu sync.Mutex
	err = p.Run(ctx, 100, func(i int) task.Call { return f.Call(int64(i)) }, func(r pool.Result) {
		if r.Err != nil {
			t.Errorf("task %d: %v", r.Index, r.Err)
			return
		}
		v, err := r.Decode()
		if err != nil {
			t.Errorf("task %d: %v", r.Index, err)
		}
		mu.Lock()
		defer mu.Unlock()
		out[r.Index] = toInt(v)
		pids[r.PID] = true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, pids
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return int64(x)
	}
	return -1
}

func TestPrimesProcessAndThread(t *testing.T) {
	proc, pids := runPrimes(t, pool.WithWorkers(3))
	thr, _ := runPrimes(t, pool.WithWorkers(3), pool.WithMode(pool.Thread))
	var sum int64
	for i := range proc {
		sum += proc[i]
		if proc[i] != thr[i] {
			t.Errorf("task %d: process %d, thread %d", i, proc[i], thr[i])
		}
	}
	if sum != 78498 {
		t.Errorf("primes below 10^6: got %d, want 78498", sum)
	}
	if len(pids) != 3 {
		t.Errorf("want 3 worker pids, got %v", pids)
	}
}
