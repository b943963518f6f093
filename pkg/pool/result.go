package pool

import (
	"fmt"
	"syscall"
	"time"

	"github.com/brinehq/brine/pkg/task"
)

// Result is the outcome of one task.
type Result struct {
	Index    int           // the task's index in its Run
	Value    any           // the return value, in thread mode without Wire
	Raw      []byte        // the encoded return value, in process mode and with Wire; see Options.BorrowResults
	Err      error         // a *TaskError when the task failed
	Worker   int           // id of the worker that ran it (0-based)
	PID      int           // its process id (this process in thread mode)
	Attempts int           // how many times it was sent to a worker
	Compute  time.Duration // how long the function itself ran
}

// Decode returns the result value as a Go value: Value, or Raw decoded
// into the untyped msgpack model (int64, string, []any, map[string]any...).
func (r *Result) Decode() (any, error) {
	if r.Raw == nil {
		return r.Value, nil
	}
	return task.DecodeAny(r.Raw)
}

// TaskError is a failed task: what failed, where, and the worker's stack.
type TaskError struct {
	Kind    string // a wire.Kind* constant
	Message string
	Stack   string // the worker goroutine's stack, when the function panicked
	Func    string
	Worker  int
	PID     int
	// Cause is the *WorkerExitError of the worker whose death failed the
	// task (kinds wire.KindWorkerDied and wire.KindTimeout), or nil.
	Cause error
}

func (e *TaskError) Error() string {
	return fmt.Sprintf("%s on worker %d (pid %d): %s: %s", e.Func, e.Worker, e.PID, e.Kind, e.Message)
}

// Unwrap returns Cause, for errors.As(err, &exitErr).
func (e *TaskError) Unwrap() error { return e.Cause }

// WorkerExitError describes how a worker process ended.
type WorkerExitError struct {
	Worker int
	PID    int
	Status string         // as os.ProcessState says it: "exit status 3", "signal: killed"
	Code   int            // its exit code, or -1 when a signal ended it
	Signal syscall.Signal // the signal that ended it, or 0
	// Reason says who killed it and why, when that is known: "killed by
	// brine: ..." for the pool's own kills (a task timeout, a protocol
	// violation, shutdown), or a suspected OOM kill for a SIGKILL from
	// outside.
	Reason string
}

func (e *WorkerExitError) Error() string {
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
