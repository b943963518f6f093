package wire

import (
	"errors"
	"fmt"
)

var (
	// ErrFrameTooLarge is returned for a frame whose declared length exceeds
	// the reader's maximum; nothing is allocated for it.
	ErrFrameTooLarge = errors.New("wire: frame too large")
	// ErrEmptyFrame is returned for a frame that declares a zero length.
	ErrEmptyFrame = errors.New("wire: empty frame")
	// ErrTruncated is returned when the stream ends inside a frame.
	ErrTruncated = errors.New("wire: truncated frame")
	// ErrMalformed is returned for a body that is not a well-formed message.
	ErrMalformed = errors.New("wire: malformed message")
)

// VersionError reports a handshake between peers that speak different
// protocol versions.
type VersionError struct {
	Worker, Coordinator int
}

func (e *VersionError) Error() string {
	side := "the worker"
	if e.Worker > e.Coordinator {
		side = "the coordinator"
	}
	return fmt.Sprintf("wire: worker speaks protocol v%d, coordinator v%d: rebuild %s from the same brine version",
		e.Worker, e.Coordinator, side)
}

// Error kinds carried in a failed Result.
const (
	KindError      = "error"            // the function returned an error
	KindPanic      = "panic"            // the function panicked; the worker lives on
	KindUnknown    = "unknown_function" // no function of that name in the worker
	KindBadArgs    = "bad_arguments"    // the arguments did not decode into the parameters
	KindEncode     = "encode"           // the return value could not be encoded
	KindTimeout    = "timeout"          // set by the coordinator: the task ran over its deadline
	KindWorkerDied = "worker_died"      // set by the coordinator: its worker died, retries exhausted
	KindCancelled  = "cancelled"        // set by the coordinator: the run stopped before the task ran
)

// Error is a task failure as it crosses the wire: its kind (one of the Kind
// constants, or another word a worker chooses), a message, the stack of
// the worker goroutine where it arose, when there is one, and the code of
// the registered error it is, if any (docs/PROTOCOL.md §6).
type Error struct {
	Kind    string
	Message string
	Stack   string
	Code    string // "" for none; sent as a fourth element only when set
}

// appendError appends e as the error element of a result.
func appendError(b []byte, e *Error) []byte {
	if e.Code != "" {
		b = appendArrayLen(b, 4)
	} else {
		b = appendArrayLen(b, 3)
	}
	b = AppendString(b, e.Kind)
	b = AppendString(b, e.Message)
	b = AppendString(b, e.Stack)
	if e.Code != "" {
		b = AppendString(b, e.Code)
	}
	return b
}

func (e *Error) Error() string { return e.Kind + ": " + e.Message }
