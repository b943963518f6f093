package transport

import (
	"errors"
	"fmt"
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
