package nats_test

import (
	"context"
	"errors"
	"strings"
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
// and returns it with the server's URL.
func localPool(t *testing.T, n int, opts ...pool.Option) (*pool.Pool, string) {
	t.Helper()
	srv, err := natsserver.Start(natsserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := natst.New(natst.Config{URLs: []string{srv.ClientURL()}, Server: srv, Local: natst.AllLocal, Liveness: time.Second})
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
