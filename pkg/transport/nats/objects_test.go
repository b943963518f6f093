package nats_test

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/cond"
	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	natst "github.com/brinehq/brine/pkg/transport/nats"
	"github.com/brinehq/brine/pkg/transport/nats/natsserver"
	"github.com/brinehq/brine/pkg/transport/transporttest"
)

// newPool starts a pool of n local workers over an embedded server, and
// returns it with its transport; both end with the test.
func newPool(t *testing.T, n int, opts ...pool.Option) (*pool.Pool, *natst.Transport) {
	t.Helper()
	tmp := transporttest.ShortTempDir(t)
	t.Setenv("TMPDIR", tmp)
	srv, err := natsserver.Start(natsserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := natst.New(natst.Config{URLs: []string{srv.ClientURL()}, Server: srv, Local: natst.AllLocal})
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]pool.Option{pool.WithWorkers(n), pool.WithTransport(tr), pool.WithEnv(quickExit)}, opts...)
	p, err := pool.New(bounded(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		transporttest.CheckNoChildren(t)
		transporttest.CheckEmptyDir(t, tmp)
	})
	return p, tr
}

// Tasks in two worker processes meet at a barrier of the run, round after
// round. A worker runs its tasks one after the other, and the pool may send
// both to one: each worker takes one task and is replaced, so that they
// run in two processes at once.
func TestBarrierAcrossWorkers(t *testing.T) {
	p, _ := newPool(t, 2, pool.WithBatch(1), pool.WithMaxTasksPerWorker(1))
	rounds := task.Bind(jobs.BarrierRounds, jobs.BarrierSpec{Name: "phase", Parties: 2, Rounds: 20})
	out, err := pool.Map(bounded(t), p, rounds, []int64{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, wakes := range out {
		if len(wakes) != 20 {
			t.Errorf("task %d passed the barrier %d times, want 20", i, len(wakes))
		}
	}
}

// A worker that dies waiting at a barrier breaks it for the others, with
// an error that names its pid.
func TestBarrierPartyDied(t *testing.T) {
	p, tr := newPool(t, 1, pool.WithRetries(0))
	b, err := tr.Objects().Barrier("phase", 3)
	if err != nil {
		t.Fatal(err)
	}
	wait := task.Bind(jobs.BarrierRounds, jobs.BarrierSpec{Name: "phase", Parties: 3, Rounds: 1})
	f := pool.Submit(bounded(t), p, wait, 0)
	pid := p.Workers()[0].PID
	for b.Waiting() < 1 {
		time.Sleep(10 * time.Millisecond)
	}
	waited := make(chan error, 1)
	go func() { _, _, err := b.Wait(bounded(t)); waited <- err }()
	for b.Waiting() < 2 {
		time.Sleep(10 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	err = <-waited
	var died *cond.PartyDiedError
	if !errors.As(err, &died) || died.PID != pid {
		t.Errorf("Wait = %v, want a *cond.PartyDiedError naming pid %d", err, pid)
	}
	f.Wait(bounded(t)) // the task failed with its worker
}
