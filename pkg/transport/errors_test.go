package transport_test

import (
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/brinehq/brine/pkg/transport"
)

func TestExitErrorText(t *testing.T) {
	for _, tc := range []struct {
		e    transport.ExitError
		want string
	}{
		{transport.ExitError{Worker: 1, PID: 42, Status: "exit status 3", Code: 3}, "worker 1 (pid 42) died: exit status 3"},
		{transport.ExitError{Worker: 0, PID: 7, Status: "exit status 0", Code: 0}, "worker 0 (pid 7) exited: exit status 0"},
		{transport.ExitError{Worker: 2, PID: 9, Status: "signal: killed", Code: -1, Signal: syscall.SIGKILL,
			Reason: "killed by brine: task 5 (sleep) ran longer than the task timeout of 1s"},
			"worker 2 (pid 9) died: signal: killed (killed by brine: task 5 (sleep) ran longer than the task timeout of 1s)"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

// ExitOf reads a reaped process's state: its exit code, or the signal that
// ended it, and the reason the transport gave for a kill.
func TestExitOf(t *testing.T) {
	run := func(script string) *os.ProcessState {
		cmd := exec.Command("/bin/sh", "-c", script)
		cmd.Run()
		return cmd.ProcessState
	}
	for _, tc := range []struct {
		name   string
		ps     *os.ProcessState
		reason string
		want   transport.ExitError
	}{
		{"exit", run("exit 3"), "", transport.ExitError{Worker: 1, PID: 9, Status: "exit status 3", Code: 3}},
		{"killed", run("kill -9 $$"), "its task timed out", transport.ExitError{Worker: 1, PID: 9, Status: "signal: killed",
			Code: -1, Signal: syscall.SIGKILL, Reason: "killed by brine: its task timed out"}},
		{"never started", nil, "", transport.ExitError{Worker: 1, PID: 9, Status: "not started", Code: -1}},
	} {
		if got := transport.ExitOf(1, 9, tc.ps, tc.reason); *got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, *got, tc.want)
		}
	}
}
