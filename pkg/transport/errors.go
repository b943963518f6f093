package transport

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// ErrClosed is returned, wrapped, by Worker.Send after Worker.CloseInput.
var ErrClosed = errors.New("transport: worker input closed")

// ExitError describes how a worker ended.
type ExitError struct {
	Worker int
	PID    int
	Status string         // as os.ProcessState says it: "exit status 3", "signal: killed"
	Code   int            // its exit code, or -1 when a signal ended it
	Signal syscall.Signal // the signal that ended it, or 0
	// Reason says who ended it and why, when that is known: "killed by
	// brine: ..." for the pool's own kills (a task timeout, a protocol
	// violation, shutdown), or a suspected OOM kill for a SIGKILL from
	// outside.
	Reason string
}

func (e *ExitError) Error() string {
	verb := "died"
	if e.Code == 0 {
		verb = "exited"
	}
	msg := fmt.Sprintf("worker %d (pid %d) %s: %s", e.Worker, e.PID, verb, e.Status)
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	return msg
}

// FrameStalled is the reason a transport gives for killing a worker that
// began a frame and did not finish it within d (Spec.FrameTimeout).
func FrameStalled(d time.Duration) string {
	return fmt.Sprintf("it broke the protocol: it began a frame and did not finish it within %v (the frame timeout)", d)
}

// ExitOf describes how worker id, process pid, ended: ps is its state once
// reaped (nil when it never started), and reason why the transport killed
// it ("" when it did not).
func ExitOf(id, pid int, ps *os.ProcessState, reason string) *ExitError {
	e := &ExitError{Worker: id, PID: pid, Code: -1, Status: "not started"}
	if ps != nil {
		e.Status = strings.TrimSpace(ps.String())
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok {
			switch {
			case ws.Exited():
				e.Code = ws.ExitStatus()
			case ws.Signaled():
				e.Signal = ws.Signal()
				if e.Signal == syscall.SIGKILL {
					e.Status = "signal: killed"
				}
			}
		}
	}
	if reason != "" {
		e.Reason = "killed by brine: " + reason
	}
	return e
}
