package pool_test

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/pool"
)

// within fails the test unless fn returns within a bound far shorter than
// the grace periods of these tests' pools, which Close would wait out.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: still waiting after a minute", what)
	}
}

// started waits until p's workers have had time to take tasks that run
// for an hour: Terminate must stop running tasks, not only queued ones.
func started(t *testing.T) {
	t.Helper()
	time.Sleep(200 * time.Millisecond)
}

// Terminate kills worker processes whose tasks ignore their context at
// once, without the grace period, and every caller gets its results.
func TestTerminateProcesses(t *testing.T) {
	p := startPool(t, pool.WithWorkers(2), pool.WithGrace(10*time.Minute))
	pids := []int{}
	for _, w := range p.Workers() {
		pids = append(pids, w.PID)
	}
	var mapErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		_, mapErr = pool.Map(bounded(t), p, stubborn, []time.Duration{time.Hour, time.Hour, time.Hour, time.Hour, time.Hour})
	})
	fu := pool.Submit(bounded(t), p, stubborn, time.Hour)
	started(t)
	within(t, "Terminate", func() {
		if err := p.Terminate(); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
	if !errors.Is(mapErr, pool.ErrClosed) {
		t.Errorf("Map: %v, want ErrClosed", mapErr)
	}
	if _, err := fu.Wait(bounded(t)); !errors.Is(err, pool.ErrClosed) {
		t.Errorf("Submit: %v, want ErrClosed", err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("worker %d after Terminate: %v, want it gone", pid, err)
		}
	}
	if err := p.Terminate(); err != nil {
		t.Errorf("Terminate again: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close after Terminate: %v", err)
	}
	if _, err := pool.Submit(bounded(t), p, square, 2).Wait(bounded(t)); !errors.Is(err, pool.ErrClosed) {
		t.Errorf("Submit after Terminate: %v", err)
	}
}

// Terminate cuts short a Close that waits out the grace period.
func TestTerminateDuringClose(t *testing.T) {
	p := startPool(t, pool.WithWorkers(1), pool.WithGrace(10*time.Minute))
	fu := pool.Submit(bounded(t), p, stubborn, time.Hour)
	started(t)
	var closing sync.WaitGroup
	closing.Go(func() { p.Close() })
	time.Sleep(50 * time.Millisecond) // Close is in its grace period
	within(t, "Terminate during Close", func() {
		p.Terminate()
		closing.Wait()
	})
	if _, err := fu.Wait(bounded(t)); !errors.Is(err, pool.ErrClosed) {
		t.Errorf("Submit: %v, want ErrClosed", err)
	}
}

// In thread mode Terminate ends the context of the tasks running, cancels
// those queued, and returns once the running ones have returned.
func TestTerminateThreads(t *testing.T) {
	p := typedPool(t, pool.WithMode(pool.Thread))
	args := make([]int, 100)
	for i := range args {
		args[i] = int(time.Hour / time.Millisecond)
	}
	var mapErr error
	var wg sync.WaitGroup
	wg.Go(func() { _, mapErr = pool.Map(context.Background(), p, napOrFail, args) })
	started(t)
	within(t, "Terminate", func() { p.Terminate() })
	wg.Wait()
	if !errors.Is(mapErr, pool.ErrClosed) {
		t.Errorf("Map: %v, want ErrClosed", mapErr)
	}
	if n := tasksDone(p); n > 2 {
		t.Errorf("%d tasks ran on two workers: the queued ones were not cancelled", n)
	}
}
