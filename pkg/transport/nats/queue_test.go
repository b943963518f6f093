package nats_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	natst "github.com/brinehq/brine/pkg/transport/nats"
	"github.com/brinehq/brine/pkg/transport/nats/natsserver"
	"github.com/brinehq/brine/pkg/wire"
)

// localPool starts a pool of n local workers over a server of its own,
// and returns it with the server's URL. The run's liveness, and so
// AckWait, is a second.
func localPool(t *testing.T, n int, opts ...pool.Option) (*pool.Pool, string) {
	t.Helper()
	return livePool(t, n, time.Second, 0, opts...)
}

// livePool is localPool with a liveness and an AckWait of its own (0: the
// liveness).
func livePool(t *testing.T, n int, liveness, ackWait time.Duration, opts ...pool.Option) (*pool.Pool, string) {
	t.Helper()
	srv, err := natsserver.Start(natsserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := natst.New(natst.Config{URLs: []string{srv.ClientURL()}, Server: srv, Local: natst.AllLocal,
		Liveness: liveness, AckWait: ackWait})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pool.New(bounded(t), append([]pool.Option{pool.WithWorkers(n), pool.WithTransport(tr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, srv.ClientURL()
}

// queueConsumer returns what JetStream says of the run's shared consumer
// of tasks.
func queueConsumer(t *testing.T, url string) *jetstream.ConsumerInfo {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for name := range js.StreamNames(ctx).Name() {
		if !strings.HasSuffix(name, "_in") {
			continue
		}
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.Consumer(ctx, "queue")
		if err != nil {
			t.Fatal(err)
		}
		info, err := c.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	t.Fatal("no stream of tasks on the server")
	return nil
}

// A pool takes its tasks from the shared consumer: both workers pull from
// it, every message is acked, and each task's result comes once.
func TestTasksGoThroughTheSharedQueue(t *testing.T) {
	p, url := localPool(t, 2)
	const n = 20000
	rs := run(t, p, n, func(i int) task.Call { return jobs.Echo.Call([]byte{byte(i)}) }, func() {})
	byWorker := map[int]int{}
	for _, r := range rs {
		byWorker[r.Worker]++
	}
	if len(byWorker) != 2 {
		t.Errorf("tasks by worker: %v, want both", byWorker)
	}
	info := queueConsumer(t, url)
	if info.Delivered.Consumer == 0 || info.NumAckPending != 0 || info.NumPending != 0 {
		t.Errorf("the shared consumer delivered %d messages, %d unacked, %d pending: want some, all acked",
			info.Delivered.Consumer, info.NumAckPending, info.NumPending)
	}
	if info.Config.MaxDeliver != 2 || info.Config.AckWait != time.Second {
		t.Errorf("MaxDeliver %d, AckWait %v: want 2 (Retries 0) and the liveness", info.Config.MaxDeliver, info.Config.AckWait)
	}
	for _, w := range p.Workers() {
		if w.Tasks != int64(byWorker[w.ID]) {
			t.Errorf("worker %d counts %d tasks, its results %d", w.ID, w.Tasks, byWorker[w.ID])
		}
	}
}

// A task that kills every worker that runs it fails once JetStream has
// delivered it its last time, saying so, and the tasks that came with it
// succeed, on a second delivery, alone.
func TestQueueGivesUp(t *testing.T) {
	p, _ := localPool(t, 2, pool.WithRetries(1))
	fault := task.Bind(jobs.Fault, jobs.FaultSpec{Mode: "exit", Every: 5})
	var results []pool.Result
	err := p.Run(bounded(t), 8, func(i int) task.Call { return fault.Call(int64(i + 1)) }, func(r pool.Result) {
		results = append(results, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	again := 0
	for _, r := range results {
		var te *pool.TaskError
		switch {
		case r.Index+1 == 5:
			if !errors.As(r.Err, &te) || te.Kind != wire.KindWorkerDied || !strings.Contains(te.Message, "delivered to workers") {
				t.Errorf("the task that kills its workers: %v, want worker_died saying how often it was delivered", r.Err)
			}
			if r.Attempts < 2 {
				t.Errorf("the task that kills its workers was sent %d times", r.Attempts)
			}
		case r.Err != nil:
			t.Errorf("task %d: %v", r.Index, r.Err)
		case r.Attempts > 1:
			again++
		}
	}
	if len(results) != 8 {
		t.Fatalf("%d results, want 8", len(results))
	}
	t.Logf("%d of the other tasks ran again", again)
}

// stubborn sleeps for ms milliseconds whatever its context says.
var stubborn = task.Register("natstest.stubborn", func(_ context.Context, ms int64) (int64, error) {
	time.Sleep(time.Duration(ms) * time.Millisecond)
	return ms, nil
})

// A run cancelled while its tasks ignore it has the queue ended, and its
// workers with it, once the grace period is over; the pool opens the
// queue again for the next run, which has every result once.
func TestQueueOpensAgain(t *testing.T) {
	p, _ := localPool(t, 2, pool.WithGrace(200*time.Millisecond))
	ctx, cancel := context.WithTimeout(bounded(t), 500*time.Millisecond)
	defer cancel()
	began := time.Now()
	err := p.Run(ctx, 4, func(int) task.Call { return stubborn.Call(int64(60_000)) }, func(r pool.Result) {
		if r.Err == nil {
			t.Errorf("task %d of the cancelled run succeeded", r.Index)
		}
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the cancelled run: %v", err)
	}
	if took := time.Since(began); took > 30*time.Second {
		t.Errorf("the cancelled run took %v", took)
	}
	run(t, p, 2000, func(i int) task.Call { return jobs.Echo.Call([]byte{byte(i)}) }, func() {})
	restarts := 0
	for _, w := range p.Workers() {
		restarts += w.Restarts
	}
	if restarts == 0 {
		t.Error("no worker was replaced after the cancelled run's tasks outlived the grace period")
	}
}

// counted sleeps for ms milliseconds, having appended a line to a file of
// its own in $NATSTEST_RUNS, so that a test counts how often each task ran.
var counted = task.Register("natstest.counted", func(_ context.Context, ms int64) (int64, error) {
	f, err := os.OpenFile(filepath.Join(os.Getenv("NATSTEST_RUNS"), strconv.FormatInt(ms, 10)), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, err
	}
	f.WriteString("ran\n")
	f.Close()
	time.Sleep(time.Duration(ms) * time.Millisecond)
	return ms, nil
})

// A task that runs for several AckWaits is kept in progress by its worker,
// so JetStream does not deliver it again: each task runs once.
func TestLongTaskIsNotDeliveredAgain(t *testing.T) {
	dir := t.TempDir()
	p, _ := localPool(t, 2, pool.WithEnv("NATSTEST_RUNS="+dir)) // AckWait: the liveness, 1 s
	rs := run(t, p, 4, func(i int) task.Call { return counted.Call(int64(2500 + i)) }, func() {})
	for _, r := range rs {
		b, err := os.ReadFile(filepath.Join(dir, strconv.Itoa(2500+r.Index)))
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), "ran"); n != 1 || r.Attempts != 1 {
			t.Errorf("task %d, which ran for 2.5 s, ran %d times, delivered %d", r.Index, n, r.Attempts)
		}
	}
}

// sized returns the length of b, a payload too large for one message,
// having exited its worker first when b[0] says so: 1 the first time (as
// $NATSTEST_RUNS/sized records), 2 always.
var sized = task.Register("natstest.sized", func(_ context.Context, b []byte) (int64, error) {
	marker := filepath.Join(os.Getenv("NATSTEST_RUNS"), "sized")
	switch {
	case b[0] == 2:
		os.Exit(3)
	case b[0] == 1:
		if _, err := os.Stat(marker); err != nil {
			os.WriteFile(marker, nil, 0o644)
			os.Exit(3)
		}
	}
	return int64(len(b)), nil
})

// A task too large for one message goes to one worker's own channel; if
// that worker dies, it goes to another, and fails once as many workers as
// it may be delivered to died running it; one queued behind it on a
// worker that died goes again, whatever its count.
func TestLargeTaskGoesAgain(t *testing.T) {
	p, _ := localPool(t, 2, pool.WithEnv("NATSTEST_RUNS="+t.TempDir()))
	const size = 3 << 20 // the embedded server takes messages of 1 MiB
	rs := make([]pool.Result, 3)
	err := p.Run(bounded(t), 3, func(i int) task.Call {
		b := make([]byte, size)
		b[0] = byte(i)
		return sized.Call(b)
	}, func(r pool.Result) { rs[r.Index] = r })
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs[:2] {
		if v, err := r.Decode(); r.Err != nil || err != nil || fmt.Sprint(v) != strconv.Itoa(size) {
			t.Errorf("task %d: %v, %v", i, r.Err, v)
		}
	}
	if rs[1].Attempts < 2 {
		t.Errorf("the task whose first worker died was delivered %d times, want 2 or more", rs[1].Attempts)
	}
	var te *pool.TaskError
	if !errors.As(rs[2].Err, &te) || te.Kind != wire.KindWorkerDied || !strings.Contains(te.Message, "2 workers died running") {
		t.Errorf("the task that kills every worker: %v, want worker_died after two workers died running it", rs[2].Err)
	}
}

// slowOnce sleeps for a minute the first time it runs (as
// $NATSTEST_RUNS/slow records), and returns at once after.
var slowOnce = task.Register("natstest.slowOnce", func(ctx context.Context, _ int64) (int64, error) {
	marker := filepath.Join(os.Getenv("NATSTEST_RUNS"), "slow")
	if _, err := os.Stat(marker); err == nil {
		return 1, nil
	}
	os.WriteFile(marker, nil, 0o644)
	time.Sleep(time.Minute)
	return 0, nil
})

// The message a worker held when it was killed is delivered again as soon
// as the coordinator sees the worker end, not after AckWait: here a
// minute, far past the run's deadline. The worker has named it in its
// beats, which come every 400 ms (a fifth of the liveness), for 1.5 s
// before the kill.
func TestDeadWorkersMessagesComeAgainAtOnce(t *testing.T) {
	dir := t.TempDir()
	p, _ := livePool(t, 2, 2*time.Second, time.Minute, pool.WithEnv("NATSTEST_RUNS="+dir))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got pool.Result
	done := make(chan error, 1)
	go func() {
		done <- p.Run(ctx, 1, func(int) task.Call { return slowOnce.Call(0) }, func(r pool.Result) { got = r })
	}()
	for {
		if _, err := os.Stat(filepath.Join(dir, "slow")); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the run ended before its task began: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	time.Sleep(1500 * time.Millisecond) // beats that name the task's message
	for _, w := range p.Workers() {     // the one that runs the task among them
		if w.PID <= 0 {
			t.Fatalf("worker %d has no pid", w.ID)
		}
		syscall.Kill(w.PID, syscall.SIGKILL)
	}
	if err := <-done; err != nil {
		t.Fatalf("the run, which needed its dead worker's message again: %v", err)
	}
	if v, err := got.Decode(); got.Err != nil || err != nil || fmt.Sprint(v) != "1" || got.Attempts != 2 {
		t.Errorf("the task: %v, %v, delivered %d times; want 1 on its second delivery", got.Err, v, got.Attempts)
	}
}
