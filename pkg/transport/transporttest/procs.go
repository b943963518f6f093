package transporttest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

// Process is a process as /proc/PID/stat describes it.
type Process struct {
	PID, PPID int
	State     byte // R, S, Z (a zombie: dead, not yet reaped)...
}

// Stat returns process pid as /proc says it is, or false when there is
// none.
func Stat(pid int) (Process, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Process{}, false
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(data, ')')
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 2 {
		return Process{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	return Process{PID: pid, PPID: ppid, State: f[0][0]}, true
}

// Alive reports whether process pid exists and has not exited: a zombie is
// dead. A transport's own tests use it too.
func Alive(pid int) bool {
	st, ok := Stat(pid)
	return ok && st.State != 'Z'
}

// Children returns the processes, zombies included, whose parent is ppid.
func Children(ppid int) []Process {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var out []Process
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		if st, ok := Stat(pid); ok && st.PPID == ppid {
			out = append(out, st)
		}
	}
	return out
}

// CheckNoChildren fails t if this process has a child left, running or
// zombie, after a bound for the ones just killed to be reaped.
func CheckNoChildren(t *testing.T) {
	t.Helper()
	var left []Process
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if left = Children(os.Getpid()); len(left) == 0 {
			return
		}
	}
	t.Errorf("processes left behind: %+v", left)
}

// The suite's coordinator role: a process that starts a pool and is then
// killed.
const (
	envRole         = "BRINE_TRANSPORTTEST_ROLE"
	roleCoordinator = "coordinator"
)

// roleInterrupted is the suite's coordinator that a SIGINT stops, as the
// coordinator command stops.
const roleInterrupted = "interrupted"

// exitInterrupted is the status of a coordinator a SIGINT stopped (128 +
// SIGINT), as a shell reports it.
const exitInterrupted = 130

// coordinateInterrupted starts a pool of two workers over a new transport
// with a grace period of minutes, runs tasks that take a minute each,
// prints the workers' pids, one line, and on SIGINT stops the run, closes
// the pool and exits 130: at once if the transport lets the cancel reach
// the tasks, after minutes if not.
func coordinateInterrupted(newTransport Factory) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	tr, err := newTransport()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p, err := pool.New(ctx, pool.WithWorkers(2), pool.WithEnv(quickExit), pool.WithTransport(tr), pool.WithGrace(10*time.Minute))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer p.Close()
	sleep := task.Bind(jobs.Sleep, 60_000)
	started := make(chan struct{})
	go func() {
		time.Sleep(100 * time.Millisecond) // the workers have taken their tasks
		for _, w := range p.Workers() {
			fmt.Printf("%d ", w.PID)
		}
		fmt.Println()
		close(started)
	}()
	err = p.Run(ctx, 8, func(i int) task.Call { return sleep.Call(int64(i)) }, func(pool.Result) {})
	<-started
	if errors.Is(err, context.Canceled) {
		return exitInterrupted
	}
	fmt.Fprintln(os.Stderr, "the run ended without the interrupt:", err)
	return 1
}

// coordinate starts a pool of two workers over a new transport, prints
// their pids, one line, and waits to be killed.
func coordinate(newTransport Factory) int {
	tr, err := newTransport()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := pool.New(ctx, pool.WithWorkers(2), pool.WithEnv(quickExit), pool.WithTransport(tr))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, w := range p.Workers() {
		fmt.Printf("%d ", w.PID)
	}
	fmt.Println()
	time.Sleep(time.Minute)
	return 1
}

// startCoordinator starts the test binary in role, in a TMPDIR of its own,
// and returns it, that TMPDIR and the pids of its two workers.
func startCoordinator(t *testing.T, role string) (*exec.Cmd, string, []int) {
	t.Helper()
	tmp := ShortTempDir(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envRole+"="+role, "TMPDIR="+tmp)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the coordinator said no pids: %v", err)
	}
	var pids []int
	for _, f := range strings.Fields(line) {
		pid, _ := strconv.Atoi(f)
		pids = append(pids, pid)
	}
	if len(pids) != 2 || !Alive(pids[0]) || !Alive(pids[1]) {
		t.Fatalf("workers %q: want two live processes", line)
	}
	return cmd, tmp, pids
}

// A coordinator SIGKILLed leaves no worker alive half a second later, and
// nothing in TMPDIR.
func testCoordinatorKilled(t *testing.T, newTransport Factory) {
	cmd, tmp, pids := startCoordinator(t, roleCoordinator)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	time.Sleep(500 * time.Millisecond)
	for _, pid := range pids {
		if Alive(pid) {
			t.Errorf("worker %d outlived its coordinator by 0.5 s", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	CheckEmptyDir(t, tmp)
}

// A coordinator interrupted (SIGINT) while its workers run tasks that heed
// their context exits 130 without waiting out its grace period of minutes,
// and leaves no worker and nothing in TMPDIR.
func testInterrupt(t *testing.T, newTransport Factory) {
	cmd, tmp, pids := startCoordinator(t, roleInterrupted)
	cmd.Process.Signal(os.Interrupt)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(time.Minute): // the tasks' own end, or the grace period's
		cmd.Process.Kill()
		<-exited
		t.Fatal("an interrupted coordinator was still running a minute later")
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Errorf("exit status %d, want %d", code, exitInterrupted)
	}
	for _, pid := range pids {
		if Alive(pid) {
			t.Errorf("worker %d outlived its interrupted coordinator", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	CheckEmptyDir(t, tmp)
}
