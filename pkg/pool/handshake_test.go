package pool_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

// A worker that speaks another protocol version is refused at the
// handshake with an error that says which side to rebuild.
func TestHandshakeVersionMismatch(t *testing.T) {
	p, err := pool.New(context.Background(), pool.WithOptions(pool.Options{Workers: 1,
		Env: []string{envMisbehave + "=hello-version", quickExit}}))
	if err == nil {
		p.Close()
		t.Fatal("New accepted a worker of another protocol version")
	}
	var verr *wire.VersionError
	if !errors.As(err, &verr) || verr.Worker != wire.Version+1 || verr.Coordinator != wire.Version {
		t.Fatalf("error %v, want a *wire.VersionError for v%d against v%d", err, wire.Version+1, wire.Version)
	}
	if !strings.Contains(err.Error(), "rebuild the coordinator") {
		t.Errorf("error %q does not say which side to rebuild", err)
	}
	checkNoChildren(t)
}

// A worker whose Hello lists its functions out of order is served all the
// same, and an unknown function's error lists them in order.
func TestUnsortedHello(t *testing.T) {
	p := startPool(t, pool.WithWorkers(1), pool.WithEnv(envMisbehave+"=unsorted-hello"))
	if funcs := p.Funcs(); !slices.IsSorted(funcs) || !slices.Contains(funcs, "echo") {
		t.Fatalf("functions %v: want them sorted, echo among them", funcs)
	}
	if out, err := pool.Map(bounded(t), p, jobs.Echo, [][]byte{[]byte("x")}); err != nil || string(out[0]) != "x" {
		t.Fatalf("echo: %q, %v", out, err)
	}
	known := strings.Join(p.Funcs(), ", ")
	_, err := pool.Map(bounded(t), p, lateFunc(), []int{1})
	if err == nil || !strings.Contains(err.Error(), known) {
		t.Fatalf("unknown function: %v, want the list %q", err, known)
	}
}

// A worker of another protocol version is not killed: the coordinator
// closes its input, as docs/PROTOCOL.md §3 says, and it exits 1.
func TestHandshakeVersionMismatchExit(t *testing.T) {
	p, err := pool.New(context.Background(), pool.WithOptions(pool.Options{Workers: 1,
		Env: []string{envMisbehave + "=later-version", quickExit}}))
	if err == nil {
		p.Close()
		t.Fatal("New accepted a worker of another protocol version")
	}
	var verr *wire.VersionError
	if !errors.As(err, &verr) || !strings.Contains(err.Error(), "exit status 1") {
		t.Fatalf("error %v: want a *wire.VersionError from a worker that exited 1", err)
	}
	checkNoChildren(t)
}

// lockedBuffer is a log sink for the relays of several workers at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A task that prints to stdout and stderr cannot corrupt the protocol:
// every result arrives, and what it printed reaches the pool's log tagged
// with the worker's id, pid and stream.
func TestPrintingTasks(t *testing.T) {
	var logs lockedBuffer
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithWorkers(2), pool.WithLogger(zerolog.New(&logs)))
	if err != nil {
		t.Fatal(err)
	}
	f := task.Bind(jobs.Fault, jobs.FaultSpec{Mode: "print"})
	got := make([]int64, 20)
	var pids sync.Map
	err = p.Run(ctx, len(got), func(i int) task.Call { return f.Call(int64(i)) }, func(r pool.Result) {
		if r.Err != nil {
			t.Errorf("task %d: %v", r.Index, r.Err)
			return
		}
		v, err := jobs.Fault.Decode(r.Raw)
		if err != nil {
			t.Errorf("task %d: %v", r.Index, err)
		}
		got[r.Index] = v
		pids.Store(r.PID, true)
	})
	if err != nil {
		t.Fatal(err)
	}
	p.Close() // the relays have drained when Close returns
	for i, v := range got {
		if v != int64(i) {
			t.Errorf("task %d returned %d", i, v)
		}
	}
	out := logs.String()
	for i := range got {
		for _, stream := range []string{"stdout", "stderr"} {
			if !strings.Contains(out, "fault: task "+itoa(i)+" writes to "+stream) {
				t.Errorf("the log lacks task %d's line on %s", i, stream)
			}
		}
	}
	pids.Range(func(pid, _ any) bool {
		if !strings.Contains(out, `"pid":`+itoa(pid.(int))) || !strings.Contains(out, `"stream":"stdout"`) {
			t.Errorf("the log does not tag lines with worker pid %d and stream", pid)
		}
		return true
	})
}

func itoa(i int) string { return strconv.Itoa(i) }
