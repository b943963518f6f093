package coordinator

import (
	"strings"
	"testing"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/report"
	"github.com/brinehq/brine/pkg/wire"
)

// A stopped run's summary: the cancelled tasks are not counted as failed,
// and the sum of the outputs that arrived is not offered as the answer.
func TestDescribeStoppedRun(t *testing.T) {
	c := newCollector(false, true)
	each := c.segment(0, 4).one
	each(pool.Result{Index: 0, Value: int64(3)})
	each(pool.Result{Index: 1, Value: int64(4)})
	each(pool.Result{Index: 2, Err: &pool.TaskError{Kind: wire.KindCancelled, Message: "the run was stopped"}})
	each(pool.Result{Index: 3, Err: &pool.TaskError{Kind: "panic", Message: "boom"}})
	c.skipped(4, 10)
	var b strings.Builder
	c.describe(&b, "primes")
	out := b.String()
	for _, want := range []string{
		"primes: the outputs of the 2 tasks that succeeded sum to 7, which is not the job's answer: 8 of its 10 tasks did not complete",
		"1 task failed; the first, task 3",
		"7 tasks cancelled as the run stopped, 6 of them before they were handed to the workers",
	} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "the outputs sum to") {
		t.Errorf("a stopped run's sum is given as the answer:\n%s", out)
	}
}

// A complete run's summary gives the sum as the answer, and no failure.
func TestDescribeCompleteRun(t *testing.T) {
	c := newCollector(false, true)
	each := c.segment(0, 2).one
	each(pool.Result{Index: 0, Value: int64(3)})
	each(pool.Result{Index: 1, Value: int64(4)})
	var b strings.Builder
	c.describe(&b, "primes")
	if got, want := b.String(), "primes: the outputs sum to 7\n"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}

// Goroutine workers share a pid, said once; worker processes have a pid each.
func TestTasksPerWorker(t *testing.T) {
	threads := report.Run{Mode: "thread", Workers: []report.Worker{{ID: 0, PID: 7, Tasks: 3}, {ID: 1, PID: 7, Tasks: 5}}}
	if got, want := tasksPerWorker(threads), "thread tasks per worker, all in pid 7: #0: 3, #1: 5"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	procs := report.Run{Mode: "process", Workers: []report.Worker{{ID: 0, PID: 8, Tasks: 3}, {ID: 1, PID: 9, Tasks: 5}}}
	if got, want := tasksPerWorker(procs), "process tasks per worker: #0 pid 8: 3, #1 pid 9: 5"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
