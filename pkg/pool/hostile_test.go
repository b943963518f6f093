package pool_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

// A worker binary that fails the handshake makes New return a clear error,
// within the handshake timeout, and leaves no process behind.
func TestHandshakeFailures(t *testing.T) {
	for _, tc := range []struct {
		mode, want string
		limit      time.Duration
	}{
		{"hello-garbage", "bad hello", 10 * time.Second},
		{"hello-huge", "frame too large", 10 * time.Second},
		{"hello-exit", "exited before its hello", 10 * time.Second},
		{"hello-silent", "no hello within 500ms", 500 * time.Millisecond},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			p, err := pool.New(context.Background(),
				pool.WithOptions(pool.Options{Workers: 2, HandshakeTimeout: tc.limit,
					Env: []string{envMisbehave + "=" + tc.mode, quickExit}}))
			if err == nil {
				p.Close()
				t.Fatal("New succeeded with workers that fail the handshake")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "brine worker") {
				t.Errorf("error %q: want %q and a hint", err, tc.want)
			}
			if tc.mode == "hello-exit" && !strings.Contains(err.Error(), "exit status 7") {
				t.Errorf("error %q does not give the exit status", err)
			}
			checkNoChildren(t)
		})
	}
}

// New gives up on a silent worker as soon as its context ends.
func TestHandshakeInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := pool.New(ctx, pool.WithOptions(pool.Options{Workers: 1, HandshakeTimeout: time.Hour,
		Env: []string{envMisbehave + "=hello-silent", quickExit}}))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("New: %v, want context.Canceled", err)
	}
	checkNoChildren(t)
}

// A worker that breaks the protocol after its handshake is killed and
// replaced, and the tasks it held run elsewhere.
func TestProtocolViolations(t *testing.T) {
	for _, tc := range []struct{ mode, want string }{
		{"garbage", "malformed"},
		{"oversize", "frame too large"},
		{"truncated", "truncated"},
		{"foreign", "does not hold"},
		{"type", "sends only results"},
		{"lane-unoffered", "in a lane the worker was not given"},
		{"lane-outside", "bad payload reference"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			const n = 60
			var log syncBuffer
			marker := filepath.Join(t.TempDir(), "marker")
			p := startPool(t, pool.WithWorkers(3), pool.WithRetries(1),
				pool.WithEnv(envMisbehave+"="+tc.mode, envMarker+"="+marker),
				pool.WithLogger(zerolog.New(&log)))
			sleep := task.Bind(jobs.Sleep, 1)
			rs := newResults(t)
			if err := p.Run(bounded(t), n, func(i int) task.Call { return sleep.Call(int64(i)) }, rs.add); err != nil {
				t.Fatal(err)
			}
			rs.checkAll(n)
			bad := markerPID(t, marker)
			for i, r := range rs.byIdx {
				if r.Err != nil || r.PID == bad {
					t.Errorf("task %d: %v (pid %d; the bad worker's is %d)", i, r.Err, r.PID, bad)
				}
			}
			if got := waitRestarts(p, 1); got < 1 {
				t.Error("the bad worker was not replaced")
			}
			if tc.mode != "truncated" && !strings.Contains(log.String(), tc.want) {
				t.Errorf("the log does not say %q:\n%s", tc.want, log.String())
			}
			p.Close()
			checkNoChildren(t)
		})
	}
}

// A worker that stops reading its input holds up only the tasks it took:
// the other workers run the rest, and when the run is cancelled the stuck
// worker is killed and its tasks reported cancelled.
func TestStalledWorker(t *testing.T) {
	const n = 30
	marker := filepath.Join(t.TempDir(), "marker")
	p := startPool(t, pool.WithWorkers(3), pool.WithGrace(time.Second),
		pool.WithEnv(envMisbehave+"=stall", envMarker+"="+marker))
	payload := make([]byte, 256<<10) // a few fill the pipe of the stalled worker
	ctx, cancel := context.WithCancel(bounded(t))
	defer cancel()
	rs := newResults(t)
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, n, func(int) task.Call { return jobs.Echo.Call(payload) }, rs.add) }()
	// The stalled worker holds two tasks at most (the first window).
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, ok := rs.count(); ok >= n-2 || time.Now().After(deadline) {
			break
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v, want context.Canceled", err)
	}
	rs.checkAll(n)
	bad := markerPID(t, marker)
	cancelled := 0
	for i, r := range rs.byIdx {
		var te *pool.TaskError
		switch {
		case r.Err == nil && r.PID == bad:
			t.Errorf("task %d: a result from the stalled worker", i)
		case r.Err == nil:
		case errors.As(r.Err, &te) && te.Kind == "cancelled" && r.PID == bad:
			cancelled++
		default:
			t.Errorf("task %d: %v (pid %d, the stalled worker's %d)", i, r.Err, r.PID, bad)
		}
	}
	if cancelled == 0 || cancelled > 2 {
		t.Errorf("%d tasks cancelled on the stalled worker, want 1 or 2", cancelled)
	}
	p.Close()
	checkNoChildren(t)
}

func markerPID(t *testing.T, marker string) int {
	t.Helper()
	data, err := os.ReadFile(marker)
	if err != nil {
		t.Fatalf("no worker misbehaved: %v", err)
	}
	pid, _ := strconv.Atoi(string(data))
	return pid
}
