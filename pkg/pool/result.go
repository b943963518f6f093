package pool

import (
	"fmt"
	"time"

	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/transport"
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

// WorkerExitError describes how a worker process ended: the transport's
// account of it.
type WorkerExitError = transport.ExitError
