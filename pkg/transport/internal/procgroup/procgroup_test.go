package procgroup

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// A signal sent before the process started keeps it from starting, and
// its reason is the one kept.
func TestSignalBeforeStart(t *testing.T) {
	var g Group
	g.Signal(syscall.SIGKILL, "interrupted")
	g.Signal(syscall.SIGTERM, "later")
	started := false
	err := g.Start(func() (int, error) { started = true; return 1, nil })
	if err == nil || started || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("Start after a signal: %v, started %v; want it refused, naming the first reason", err, started)
	}
	if g.Reason() != "interrupted" || g.PID() != 0 {
		t.Errorf("reason %q, pid %d; want the first reason and no pid", g.Reason(), g.PID())
	}
}

// A started process is signalled through its group until it has exited;
// HasExited and WaitExit see its end without reaping it, and Exited stops
// all later signals.
func TestGroupOfAChild(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var g Group
	if err := g.Start(func() (int, error) {
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		return cmd.Process.Pid, nil
	}); err != nil {
		t.Skip("no sleep to start:", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() }) // if the test ends early
	if g.HasExited() {
		t.Fatal("a sleeping child has exited")
	}
	g.Signal(syscall.SIGKILL, "stopped by the test")
	WaitExit(g.PID(), 0)
	if !g.HasExited() || !WaitExit(g.PID(), unix.WNOHANG) {
		t.Fatal("a killed child has not exited")
	}
	g.Exited()
	g.Signal(syscall.SIGTERM, "after its exit")
	if g.Reason() != "stopped by the test" {
		t.Errorf("reason %q, want the first", g.Reason())
	}
	if err := cmd.Wait(); err == nil || cmd.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("the child ended with %v, want SIGKILL: WaitExit must leave it for cmd.Wait", err)
	}
}
