package pool_test

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

// bareWorker is this test binary started as a worker by hand, without the
// pool and without Pdeathsig, its handshake done.
type bareWorker struct {
	cmd     *exec.Cmd
	in, out *os.File // our ends of its fds 3 and 4
	r       *wire.Reader
}

func startBareWorker(t *testing.T) *bareWorker {
	t.Helper()
	inR, inW, _ := os.Pipe()
	outR, outW, _ := os.Pipe()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	w := &bareWorker{cmd: exec.Command(self), in: inW, out: outR, r: wire.NewReader(outR, 4<<10, 0)}
	w.cmd.Env = append(os.Environ(), wire.EnvMarker+"=1", quickExit)
	w.cmd.ExtraFiles = []*os.File{inR, outW}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	inR.Close()
	outW.Close()
	t.Cleanup(func() {
		w.cmd.Process.Kill()
		w.cmd.Wait()
		w.in.Close()
		w.out.Close()
	})
	if _, err := w.r.Next(); err != nil {
		t.Fatalf("hello: %v", err)
	}
	welcome, _ := wire.AppendWelcome(nil, wire.Welcome{Version: wire.Version})
	w.in.Write(welcome)
	return w
}

func (w *bareWorker) send(t *testing.T, c task.Call) {
	t.Helper()
	args, err := c.AppendArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	frame, err := wire.AppendTasks(nil, []wire.Task{{ID: 1, Func: c.Func(), Bound: c.Bound(), Args: args}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.in.Write(frame); err != nil {
		t.Fatal(err)
	}
}

// exitWithin waits for the worker to exit and returns its status, or fails
// t after bound.
func (w *bareWorker) exitWithin(t *testing.T, bound time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- w.cmd.Wait() }() // awaited below, or by the cleanup's kill
	select {
	case <-done:
		return w.cmd.ProcessState.ExitCode()
	case <-time.After(bound):
		w.cmd.Process.Kill()
		<-done
		t.Fatalf("the worker did not exit within %v", bound)
		return -1
	}
}

// A worker whose input ends answers the tasks it holds and exits cleanly:
// this is how the pool closes and recycles workers.
func TestWorkerFinishesAtEndOfInput(t *testing.T) {
	w := startBareWorker(t)
	w.send(t, task.Bind(jobs.Sleep, 50).Call(0))
	w.in.Close()
	body, err := w.r.Next()
	if err != nil {
		t.Fatalf("no result before the end: %v", err)
	}
	if rs, err := wire.DecodeResults(body, nil); err != nil || len(rs) != 1 || rs[0].ID != 1 || rs[0].Err != nil {
		t.Errorf("results %+v, %v: want task 1 done", rs, err)
	}
	if _, err := w.r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the result: %v, want EOF", err)
	}
	if code := w.exitWithin(t, 10*time.Second); code != wire.ExitOK {
		t.Errorf("exit status %d, want %d", code, wire.ExitOK)
	}
}

// A worker whose coordinator is gone exits even while a task hangs and
// without Pdeathsig: it sees the other end of its output close.
func TestWorkerExitsWhenCoordinatorGone(t *testing.T) {
	w := startBareWorker(t)
	w.send(t, task.Bind(jobs.Fault, jobs.FaultSpec{Mode: "hang"}).Call(0))
	time.Sleep(50 * time.Millisecond) // the task is running
	w.in.Close()
	w.out.Close()
	if code := w.exitWithin(t, 5*time.Second); code != wire.ExitFailure {
		t.Errorf("exit status %d, want %d", code, wire.ExitFailure)
	}
}
