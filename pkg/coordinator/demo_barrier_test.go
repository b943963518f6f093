package coordinator

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/cond"
	"github.com/brinehq/brine/pkg/pool"
)

// TestBarrierWorkerDies kills a worker process while the barrier demo runs:
// the demo must stop with an error naming the dead worker's pid, not hang
// as multiprocessing.Barrier does.
func TestBarrierWorkerDies(t *testing.T) {
	path, err := exec.LookPath("worker") // put on PATH by TestMain
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := pool.New(ctx, pool.WithOptions(pool.Options{Workers: 2, Command: []string{path}, Prefetch: 1}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	done := make(chan error, 1)
	go func() { _, err := releaseRounds(ctx, p, 2, maxRounds, 0, nil); done <- err }()

	b, err := p.Objects().Barrier("demo.barrier", 3)
	if err != nil {
		t.Fatal(err)
	}
	for b.Waiting() < 2 { // both workers have joined and arrived once
		select {
		case err := <-done:
			t.Fatalf("the barrier demo stopped before the kill: %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	victim := p.Workers()[0].PID
	if victim <= 0 {
		t.Fatalf("worker 0 has pid %d", victim)
	}
	killed := time.Now()
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the barrier demo did not stop after a worker died")
	}
	t.Logf("stopped %v after the kill: %v", time.Since(killed), err)
	var died *cond.PartyDiedError
	if !errors.As(err, &died) || died.PID != victim {
		t.Fatalf("error %v, want a PartyDiedError naming pid %d", err, victim)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(victim)) || !strings.Contains(err.Error(), "killed") {
		t.Errorf("error %q does not say pid %d was killed", err, victim)
	}
	// The user of the command line is told what to do, not to call Reset.
	if strings.Contains(err.Error(), "Reset") || !strings.Contains(err.Error(), "run the demo again") {
		t.Errorf("error %q: want advice for the command line's user", err)
	}
}

// Spinning waiters are warned about only when they and the coordinator
// outnumber the CPUs.
func TestSpinWarning(t *testing.T) {
	for _, tc := range []struct {
		spin          time.Duration
		workers, cpus int
		warn          bool
	}{{0, 8, 2, false}, {5 * time.Millisecond, 1, 2, false}, {5 * time.Millisecond, 2, 2, true},
		{time.Millisecond, 4, 2, true}, {time.Millisecond, 7, 8, false}} {
		w := spinWarning(tc.spin, tc.workers, tc.cpus)
		if (w != "") != tc.warn {
			t.Errorf("spin %v, %d workers, %d CPUs: warning %q, want one: %v", tc.spin, tc.workers, tc.cpus, w, tc.warn)
		}
		if tc.warn && !strings.Contains(w, fmt.Sprintf("%d spinning waiters and the coordinator on %d CPUs", tc.workers, tc.cpus)) {
			t.Errorf("the warning does not give the counts: %q", w)
		}
	}
}
