package pool

import (
	"fmt"
	"time"

	"github.com/brinehq/brine/pkg/task"
)

// Result is the outcome of one task.
type Result struct {
	Index    int           // the task's index in its Run
	Value    any           // the return value, in thread mode without Wire
	Raw      []byte        // the encoded return value, in process mode and with Wire
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
	var v any
	err := task.Unmarshal(r.Raw, &v)
	return v, err
}

// TaskError is a failed task: what failed, where, and the worker's stack.
type TaskError struct {
	Kind    string // a wire.Kind* constant
	Message string
	Stack   string // the worker goroutine's stack, when the function panicked
	Func    string
	Worker  int
	PID     int
}

func (e *TaskError) Error() string {
	return fmt.Sprintf("%s on worker %d (pid %d): %s: %s", e.Func, e.Worker, e.PID, e.Kind, e.Message)
}

// WorkerExitError describes how a worker process ended.
type WorkerExitError struct {
	Worker int
	PID    int
	Status string // as os.ProcessState says it: "exit status 3", "signal: killed"
}

func (e *WorkerExitError) Error() string {
	return fmt.Sprintf("worker %d (pid %d) died: %s", e.Worker, e.PID, e.Status)
}
