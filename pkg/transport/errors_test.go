package transport_test

import (
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
