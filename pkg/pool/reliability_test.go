package pool_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/transport/pipe"
	"github.com/brinehq/brine/pkg/wire"
)

// startPool starts a process pool for t and closes it at the end of t.
// Its workers skip the race detector's one-second sleep at exit.
func startPool(t *testing.T, opts ...pool.Option) *pool.Pool {
	t.Helper()
	// Quiet unless a test asks for a log: the default one writes to stderr.
	p, err := pool.New(context.Background(), append([]pool.Option{pool.WithEnv(quickExit), pool.WithLogger(zerolog.Nop())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// bounded returns a context that ends the test's Run, rather than hang it,
// if the pool loses a task.
func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A worker SIGKILLed every 100 ms loses nothing: every task runs to
// completion exactly once, and the pool replaces every worker killed.
func TestRandomKills(t *testing.T) {
	const n = 300
	p := startPool(t, pool.WithWorkers(3), pool.WithRetries(5))
	sleep := task.Bind(jobs.Sleep, 5)
	rs := newResults(t)
	done := make(chan error, 1)
	go func() { done <- p.Run(bounded(t), n, func(i int) task.Call { return sleep.Call(int64(i)) }, rs.add) }()
	killed := map[int]bool{}
	began := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = false
		case <-tick.C:
			ws := p.Workers()
			pid := ws[rand.IntN(len(ws))].PID
			// A worker killed before may not have finished dying: its
			// memory can take a while to free, and only then is it reaped.
			if !killed[pid] && liveChild(pid) && syscall.Kill(pid, syscall.SIGKILL) == nil {
				killed[pid] = true
			}
		}
	}
	rs.checkAll(n)
	for i, r := range rs.byIdx {
		if r.Err != nil {
			t.Errorf("task %d: %v", i, r.Err)
		}
	}
	kills := len(killed)
	t.Logf("run done after %v", time.Since(began))
	if got := waitRestarts(p, kills); got < kills {
		t.Errorf("%d restarts for %d kills", got, kills)
	}
	t.Logf("%d kills, %d restarts after %v", kills, restarts(p), time.Since(began))
	if kills == 0 {
		t.Error("no worker was killed: the run ended too soon to test anything")
	}
	p.Close()
	t.Logf("closed after %v", time.Since(began))
	checkNoChildren(t)
}

// A task that hangs is reported as timed out; its worker is replaced and
// the tasks around it complete.
func TestTaskTimeout(t *testing.T) {
	const n = 20
	p := startPool(t, pool.WithWorkers(2), pool.WithTaskTimeout(200*time.Millisecond))
	hang := task.Bind(jobs.Fault, jobs.FaultSpec{Mode: "hang", Every: 5}) // tasks 0, 5, 10, 15 hang
	rs := newResults(t)
	if err := p.Run(bounded(t), n, func(i int) task.Call { return hang.Call(int64(i)) }, rs.add); err != nil {
		t.Fatal(err)
	}
	rs.checkAll(n)
	for i, r := range rs.byIdx {
		var te *pool.TaskError
		switch {
		case i%5 != 0 && r.Err != nil:
			t.Errorf("task %d: %v", i, r.Err)
		case i%5 != 0:
			if v, _ := r.Decode(); v != int64(i) && v != int8(i) {
				t.Errorf("task %d returned %v", i, v)
			}
		case !errors.As(r.Err, &te) || te.Kind != wire.KindTimeout:
			t.Errorf("task %d: want a timeout, got %v", i, r.Err)
		}
	}
	var exit *pool.WorkerExitError
	if r := rs.byIdx[5]; !errors.As(r.Err, &exit) || exit.PID != r.PID || !strings.Contains(exit.Reason, "timeout") {
		t.Errorf("task 5: want the exit of its worker, killed for the timeout; got %#v", exit)
	} else if !strings.Contains(exit.Reason, "task 5 (fault) ran longer") {
		t.Errorf("the timeout's reason %q does not name the task as the run numbers it, 5", exit.Reason)
	}
	// A timeout is not retried: each hanging task kills one worker, once.
	// (One may be sent twice all the same, when it waited behind another
	// hanging task on the worker that timeout killed.)
	if got := waitRestarts(p, 4); got != 4 {
		t.Errorf("%d restarts for 4 hanging tasks, want 4", got)
	}
	p.Close()
	checkNoChildren(t)
}

// A task that kills its worker is retried, alone, Retries times and then
// fails with the worker's exit status; the tasks sent with it succeed.
func TestCrashRetriedThenFails(t *testing.T) {
	const n = 20
	p := startPool(t, pool.WithWorkers(2), pool.WithRetries(2))
	exit := task.Bind(jobs.Fault, jobs.FaultSpec{Mode: "exit", Every: 10}) // tasks 0 and 10 exit(3)
	rs := newResults(t)
	if err := p.Run(bounded(t), n, func(i int) task.Call { return exit.Call(int64(i)) }, rs.add); err != nil {
		t.Fatal(err)
	}
	rs.checkAll(n)
	for i, r := range rs.byIdx {
		var we *pool.WorkerExitError
		var te *pool.TaskError
		switch {
		case i%10 != 0 && r.Err != nil:
			t.Errorf("task %d, sent with a crashing one: %v", i, r.Err)
		case i%10 != 0:
		case !errors.As(r.Err, &te) || te.Kind != wire.KindWorkerDied:
			t.Errorf("task %d: want kind %s, got %v", i, wire.KindWorkerDied, r.Err)
		case r.Attempts != 3:
			t.Errorf("task %d: %d attempts, want 1 + 2 retries", i, r.Attempts)
		case !errors.As(r.Err, &we) || we.Code != 3 || we.PID != r.PID || !strings.Contains(te.Message, "exit status 3"):
			t.Errorf("task %d: want the exit status 3 of pid %d, got %v", i, r.PID, r.Err)
		}
	}
	if got := waitRestarts(p, 6); got < 6 {
		t.Errorf("%d restarts for 6 deaths", got)
	}
}

// MaxTasksPerWorker replaces each worker after that many tasks, losing none.
func TestRecycle(t *testing.T) {
	const n, max = 100, 10
	var log syncBuffer
	p := startPool(t, pool.WithWorkers(2), pool.WithMaxTasksPerWorker(max),
		pool.WithLogger(zerolog.New(&log).Level(zerolog.WarnLevel)))
	primes := task.Bind(jobs.Primes, 1000)
	rs := newResults(t)
	if err := p.Run(bounded(t), n, func(i int) task.Call { return primes.Call(int64(i)) }, rs.add); err != nil {
		t.Fatal(err)
	}
	rs.checkAll(n)
	perPID := map[int]int{}
	for i, r := range rs.byIdx {
		if r.Err != nil {
			t.Errorf("task %d: %v", i, r.Err)
		}
		perPID[r.PID]++
	}
	for pid, k := range perPID {
		if k > max {
			t.Errorf("pid %d ran %d tasks, more than %d", pid, k, max)
		}
	}
	if len(perPID) < n/max {
		t.Errorf("%d distinct workers ran %d tasks, %d at most each", len(perPID), n, max)
	}
	if got := restarts(p); got < n/max-2 {
		t.Errorf("%d restarts, want at least %d", got, n/max-2)
	}
	if strings.Contains(log.String(), "replacing worker") {
		t.Errorf("a recycled worker was replaced as if it had died:\n%s", log.String())
	}
	p.Close()
	checkNoChildren(t)
}

// quickExit spares race-enabled workers their sleep at exit.
const quickExit = "GORACE=atexit_sleep_ms=0"

// An idle worker killed is replaced, and the next call runs on its
// replacement: its receiver, parked or blocked in read(2) on the idle
// worker's output (see direct.go and the pipe transport), learns of the death from
// the end of the worker's stdout and stderr or of that output.
func TestIdleWorkerKilled(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("receivers block only with a processor to spare")
	}
	tr, err := pipe.New(pipe.Config{})
	if err != nil {
		t.Fatal(err)
	}
	p := startPool(t, pool.WithWorkers(1), pool.WithTransport(tr))
	for round := 1; round <= 3; round++ {
		got, err := pool.Map(bounded(t), p, jobs.Echo, [][]byte{[]byte("before")})
		if err != nil || string(got[0]) != "before" {
			t.Fatalf("round %d: before the kill: %q, %v", round, got, err)
		}
		// Its receiver takes the slot to block as it goes back to reading.
		for deadline := time.Now().Add(10 * time.Second); tr.Blocked() != 1; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the idle worker's receiver does not block in read(2)", round)
			}
		}
		pid := p.Workers()[0].PID
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if n := waitRestarts(p, round); n != round {
			t.Fatalf("round %d: %d restarts after killing idle worker %d", round, n, pid)
		}
		got, err = pool.Map(bounded(t), p, jobs.Echo, [][]byte{[]byte("after")})
		if err != nil || string(got[0]) != "after" {
			t.Fatalf("round %d: after the kill: %q, %v", round, got, err)
		}
		if now := p.Workers()[0].PID; now == pid {
			t.Fatalf("round %d: the call ran on worker %d, killed", round, pid)
		}
	}
	p.Close()
	if n := tr.Blocked(); n != 0 {
		t.Errorf("%d slots to block still held once the pool closed", n)
	}
	checkNoChildren(t)
}

// A worker stopped while it runs a task (SIGSTOP) leaves the run waiting
// with no task timeout set; the pool says so, naming the task, the worker
// and its pid, after Options.WarnAfter and again each time that doubles.
// Once the worker goes on, the run completes.
func TestStalledTaskWarned(t *testing.T) {
	const warnAfter = 100 * time.Millisecond
	var log syncBuffer
	p := startPool(t, pool.WithWorkers(1), pool.WithWarnAfter(warnAfter), pool.WithLogger(zerolog.New(&log)))
	pid := p.Workers()[0].PID
	sleep := task.Bind(jobs.Sleep, 50)
	done := make(chan error, 1)
	go func() {
		done <- p.Run(bounded(t), 3, func(i int) task.Call { return sleep.Call(int64(i)) }, func(r pool.Result) {
			if r.Err != nil {
				t.Errorf("task %d: %v", r.Index, r.Err)
			}
		})
	}()
	time.Sleep(10 * time.Millisecond)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	// Until two warnings are out, at most a few seconds on a slow machine.
	var warnings []stallWarning
	for wait := time.Now(); len(warnings) < 2 && time.Since(wait) < 10*time.Second; time.Sleep(10 * time.Millisecond) {
		warnings = stallWarnings(t, log.String())
	}
	syscall.Kill(pid, syscall.SIGCONT)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The task is held until its result is in, which a loaded machine may
	// take a while to deliver once the worker goes on: the run's end
	// bounds it.
	held := time.Since(stopped) + 50*time.Millisecond // and the task's own sleep
	// One warning at warnAfter, 2×, 4×...: no more than that many fit.
	if n, most := len(stallWarnings(t, log.String())), bits.Len64(uint64(held/warnAfter)); n > most {
		t.Errorf("%d warnings for a task held %v: with one at each doubling from %v, at most %d", n, held, warnAfter, most)
	}
	if len(warnings) < 2 {
		t.Fatalf("%d warnings about the stopped worker's task, want 2; log:\n%s", len(warnings), log.String())
	}
	for k, w := range warnings[:2] {
		if w.Worker != 0 || w.PID != pid || w.Task != warnings[0].Task || w.Func != "sleep" {
			t.Errorf("warning %d names worker %d, pid %d, task %d (%s); want worker 0, pid %d, task %d (sleep)",
				k, w.Worker, w.PID, w.Task, w.Func, pid, warnings[0].Task)
		}
		if !strings.Contains(w.Message, "no task timeout is set") {
			t.Errorf("warning %q does not say that the run waits with no task timeout", w.Message)
		}
	}
	if r := restarts(p); r != 0 {
		t.Errorf("%d workers restarted: a warning must end nothing", r)
	}
}

// stallWarning is a warning of the pool's watchdog, as logged.
type stallWarning struct {
	Level   string `json:"level"`
	Worker  int    `json:"worker"`
	PID     int    `json:"pid"`
	Task    int    `json:"task"`
	Func    string `json:"func"`
	Message string `json:"message"`
}

// stallWarnings returns the watchdog's warnings in a JSON log.
func stallWarnings(t *testing.T, log string) []stallWarning {
	var ws []stallWarning
	for line := range strings.Lines(log) {
		var w stallWarning
		if err := json.Unmarshal([]byte(line), &w); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if w.Level == "warn" && strings.Contains(w.Message, "with no result") {
			ws = append(ws, w)
		}
	}
	return ws
}
