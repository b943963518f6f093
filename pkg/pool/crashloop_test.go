package pool_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

// Workers that die at every task, before finishing any, are taken for
// broken after a few in a row: the tasks left fail at once, saying why,
// instead of each killing a replacement after a growing backoff.
func TestCrashLoopFailsFast(t *testing.T) {
	p := startPool(t, pool.WithWorkers(2), pool.WithRetries(1))
	exits := task.Bind(jobs.Fault, jobs.FaultSpec{Mode: "exit"})
	const n = 40
	var mu sync.Mutex // Run's callback is called from the pool's goroutines
	rs := make([]pool.Result, 0, n)
	err := p.Run(bounded(t), n, func(i int) task.Call { return exits.Call(int64(i)) }, func(r pool.Result) {
		mu.Lock()
		defer mu.Unlock()
		rs = append(rs, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	said := 0
	for _, r := range rs {
		var te *pool.TaskError
		if !errors.As(r.Err, &te) || te.Kind != pool.KindWorkerDied {
			t.Fatalf("task %d: %v, want worker_died", r.Index, r.Err)
		}
		if strings.Contains(te.Message, "in a row died before finishing any task") {
			said++
		}
	}
	if said == 0 {
		t.Errorf("no task says the workers seem broken")
	}
	if r := restarts(p); r >= n {
		t.Errorf("%d workers started for %d tasks that each kill one: the pool did not stop feeding them", r, n)
	}
	t.Logf("%d restarts, %d of %d tasks failed as a crash loop", restarts(p), said, n)
}

// A task that kills every worker it runs on, among tasks that do not,
// fails alone: a crash loop is workers dying whatever they run.
func TestPoisonTaskIsNoCrashLoop(t *testing.T) {
	p := startPool(t, pool.WithWorkers(1), pool.WithRetries(6))
	fault := task.Bind(jobs.Fault, jobs.FaultSpec{Mode: "exit", Every: 1000})
	var mu sync.Mutex
	rs := make([]pool.Result, 0, 20)
	err := p.Run(bounded(t), 20, func(i int) task.Call { return fault.Call(int64(i)) }, func(r pool.Result) {
		mu.Lock()
		defer mu.Unlock()
		rs = append(rs, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if (r.Index == 0) != (r.Err != nil) {
			t.Errorf("task %d: %v; want only task 0, which exits its worker, to fail", r.Index, r.Err)
		}
		if r.Err != nil && strings.Contains(r.Err.Error(), "in a row") {
			t.Errorf("task %d taken for a crash loop: %v", r.Index, r.Err)
		}
	}
}
