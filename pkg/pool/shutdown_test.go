package pool_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/brinehq/brine/internal/buildtest"
)

// cli is the coordinator and worker commands, built for a test.
type cli struct{ coordinator, worker string }

func buildCLI(t *testing.T) cli {
	t.Helper()
	dir := buildtest.Commands(t, "coordinator", "worker")
	return cli{filepath.Join(dir, "coordinator"), filepath.Join(dir, "worker")}
}

// session is a coordinator running a long sleep job with two workers.
type session struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	report         string
	workers        []int
}

func startSession(t *testing.T, c cli, grace string, taskMillis string) *session {
	t.Helper()
	s := &session{report: filepath.Join(t.TempDir(), "report.json")}
	s.cmd = exec.Command(c.coordinator, "-workers", "2", "-job", "sleep", "-tasks", "20", "-size", taskMillis,
		"-grace", grace, "-report", s.report, "-no-progress", "-worker", c.worker)
	s.cmd.Stdout, s.cmd.Stderr = &s.stdout, &s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	})
	for deadline := time.Now().Add(20 * time.Second); len(s.workers) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the coordinator started no workers:\n%s", &s.stderr)
		}
		s.workers = s.workers[:0]
		for _, st := range children(s.cmd.Process.Pid) {
			if st.State != 'Z' {
				s.workers = append(s.workers, st.PID)
			}
		}
	}
	time.Sleep(200 * time.Millisecond) // the workers take their first tasks
	return s
}

// wait returns the coordinator's exit status and how long it took to exit.
func (s *session) wait(t *testing.T, since time.Time) (int, time.Duration) {
	t.Helper()
	err := s.cmd.Wait()
	took := time.Since(since)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return s.cmd.ProcessState.ExitCode(), took
}

// statuses reads the report and counts its results by status.
func (s *session) statuses(t *testing.T) map[string]int {
	t.Helper()
	data, err := os.ReadFile(s.report)
	if err != nil {
		t.Fatalf("no report: %v\nstderr:\n%s", err, &s.stderr)
	}
	var rep struct {
		Results []struct{ Status string }
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	n := map[string]int{}
	for _, r := range rep.Results {
		n[r.Status]++
	}
	if len(rep.Results) != 20 {
		t.Errorf("%d results in the report, want 20", len(rep.Results))
	}
	return n
}

// checkGone fails t unless every pid has exited within bound (a zombie has).
func checkGone(t *testing.T, pids []int, bound time.Duration) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for _, pid := range pids {
		for {
			st, ok := readStat(pid)
			if !ok || st.State == 'Z' {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("worker pid %d still alive %v later", pid, bound)
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// SIGINT stops the coordinator within the grace period plus a second, with
// exit status 130, a report whose unfinished tasks are cancelled, and no
// worker left; running tasks that heed their context stop at once, without
// waiting for a grace period of a minute; a second SIGINT does not wait for
// the grace period either; SIGTERM does as SIGINT, with status 143.
func TestCLIInterrupt(t *testing.T) {
	c := buildCLI(t)
	for _, tc := range []struct {
		name         string
		grace, tasks string
		signals      []os.Signal
		code         int
		bound        time.Duration // from the first signal to the exit
	}{
		{"SIGINT", "1s", "10000", []os.Signal{os.Interrupt}, 130, 2 * time.Second},
		{"SIGINT-heeded", "1m", "60000", []os.Signal{os.Interrupt}, 130, 10 * time.Second},
		{"SIGINT-twice", "1m", "10000", []os.Signal{os.Interrupt, os.Interrupt}, 130, 10 * time.Second},
		{"SIGTERM", "1s", "10000", []os.Signal{syscall.SIGTERM}, 143, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startSession(t, c, tc.grace, tc.tasks)
			start := time.Now()
			for i, sig := range tc.signals {
				if i > 0 {
					time.Sleep(300 * time.Millisecond)
				}
				s.cmd.Process.Signal(sig)
			}
			code, took := s.wait(t, start)
			if code != tc.code || took > tc.bound {
				t.Errorf("exit status %d after %v, want %d within %v\nstderr:\n%s", code, took, tc.code, tc.bound, &s.stderr)
			}
			n := s.statuses(t)
			if n["cancelled"] != 20 {
				t.Errorf("statuses %v: want every task cancelled", n)
			}
			checkGone(t, s.workers, time.Second)
		})
	}
}

// A coordinator killed outright takes its workers with it within a second.
func TestCLICoordinatorKilled(t *testing.T) {
	s := startSession(t, buildCLI(t), "5s", "10000")
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
	checkGone(t, s.workers, time.Second)
}
