package pool

import (
	"fmt"
	"time"

	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/wire"
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
	// task (kinds KindWorkerDied and KindTimeout), or nil.
	Cause error
	// Err is the function's own error, for errors.Is and errors.As: in
	// thread mode the very value it returned; in process mode the error
	// registered (task.RegisterError) under the code the worker sent, when
	// the function's error matched one; else nil, and only Message tells.
	Err error
}

// Kinds of TaskError: what failed. A function may also fail with a kind of
// its own (docs/PROTOCOL.md §6).
const (
	KindError      = wire.KindError      // the function returned an error
	KindPanic      = wire.KindPanic      // the function panicked; the worker lives on
	KindUnknown    = wire.KindUnknown    // no function of that name in the worker
	KindBadArgs    = wire.KindBadArgs    // the arguments did not fit the function's parameters
	KindEncode     = wire.KindEncode     // an argument or the result could not be encoded
	KindTimeout    = wire.KindTimeout    // the task ran past Options.TaskTimeout
	KindWorkerDied = wire.KindWorkerDied // workers died running it, Options.Retries times
	KindCancelled  = wire.KindCancelled  // its run was cancelled, or the pool closed, before it ended
)

func (e *TaskError) Error() string {
	return fmt.Sprintf("%s on worker %d (pid %d): %s: %s", e.Func, e.Worker, e.PID, e.Kind, e.Message)
}

// Unwrap returns Err and Cause, those that are set, for errors.Is and
// errors.As: errors.Is(err, ErrMine) for a function's registered error,
// errors.As(err, &exitErr) for the worker's death.
func (e *TaskError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.Err, e.Cause} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// WorkerExitError describes how a worker process ended: the transport's
// account of it.
type WorkerExitError = transport.ExitError
