package pool_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

var (
	made, ended atomic.Int64 // in this process: thread workers' States
	// announced says, to stderr, when each worker makes and ends its value.
	announced = task.RegisterState("pooltest.announced", func(context.Context) (int, error) {
		made.Add(1)
		fmt.Fprintf(os.Stderr, "state made in pid %d\n", os.Getpid())
		return os.Getpid(), nil
	}, task.OnExit(func(_ context.Context, pid int) error {
		ended.Add(1)
		fmt.Fprintf(os.Stderr, "state ended in pid %d\n", pid)
		return nil
	}))
	unloadable = task.RegisterState("pooltest.unloadable", func(context.Context) (int, error) {
		return 0, errors.New("no weights file")
	})
)

// WithInitializer has every worker process make its State before its
// first task, and end it (OnExit) when the pool closes.
func TestInitializerProcesses(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	log := zerolog.New(lockedWriter{&mu, &buf})
	p := startPool(t, pool.WithWorkers(2), pool.WithInitializer(announced), pool.WithLogger(log))
	if _, err := pool.Map(bounded(t), p, jobs.Echo, [][]byte{nil}); err != nil { // relays what came before
		t.Fatal(err)
	}
	pids := p.Workers()
	logged := func() string { mu.Lock(); defer mu.Unlock(); return buf.String() }
	for _, w := range pids {
		if !strings.Contains(logged(), fmt.Sprintf("state made in pid %d", w.PID)) {
			t.Errorf("worker %d made no state before its tasks:\n%s", w.PID, logged())
		}
	}
	p.Close()
	for _, w := range pids {
		if !strings.Contains(logged(), fmt.Sprintf("state ended in pid %d", w.PID)) {
			t.Errorf("worker %d did not end its state:\n%s", w.PID, logged())
		}
	}
}

// A worker that cannot make its State fails New, with the State's error;
// in thread mode too, where each worker makes its own value and ends it.
func TestInitializerFailsNew(t *testing.T) {
	for _, mode := range []pool.Mode{pool.Process, pool.Thread} {
		p, err := pool.New(bounded(t), pool.WithWorkers(1), pool.WithMode(mode), pool.WithEnv(quickExit),
			pool.WithInitializer(unloadable), pool.WithLogger(zerolog.Nop()))
		if err == nil {
			p.Close()
			t.Fatalf("%v: New started workers that cannot make their state", mode)
		}
		if !strings.Contains(err.Error(), "pooltest.unloadable") || !strings.Contains(err.Error(), "no weights file") {
			t.Errorf("%v: %v, want the state's name and error", mode, err)
		}
	}
	checkNoChildren(t)
	made.Store(0)
	ended.Store(0)
	p := startPool(t, pool.WithWorkers(3), pool.WithMode(pool.Thread), pool.WithInitializer(announced))
	if n := made.Load(); n != 3 {
		t.Fatalf("%d states made by 3 thread workers before any task", n)
	}
	p.Close()
	if n := ended.Load(); n != 3 {
		t.Fatalf("%d states ended by 3 thread workers at Close", n)
	}
}
