package jobs_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

// A crashing task never returns: its worker dies, every time. The crash
// used to race with the task's own return, which some runs reported as
// "fault: unknown mode crash" instead of worker_died. Every other task
// crashes: a worker that completes a task between deaths keeps the pool
// from backing off its restarts.
func TestFaultCrashKillsItsWorker(t *testing.T) {
	const tasks = 80
	p, err := pool.New(context.Background(), pool.WithOptions(pool.Options{
		Workers: 2, Mode: pool.Process, Command: []string{os.Args[0]},
		Prefetch: 1, Retries: 0, TaskTimeout: time.Minute, LogLevel: "error",
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	crash := task.Bind(jobs.Fault, jobs.FaultSpec{Mode: "crash", Every: 2})
	kinds := make([]string, tasks)
	err = p.Run(context.Background(), tasks, func(i int) task.Call { return crash.Call(int64(i)) }, func(r pool.Result) {
		kinds[r.Index] = "ok"
		if te, ok := r.Err.(*pool.TaskError); ok {
			kinds[r.Index] = te.Kind + ": " + te.Message
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range kinds {
		want := "ok"
		if i%2 == 0 {
			want = wire.KindWorkerDied
		}
		if !strings.HasPrefix(k, want) {
			t.Errorf("task %d: %s, want %s", i, k, want)
		}
	}
}
