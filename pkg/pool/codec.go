package pool

import (
	"time"

	"github.com/brinehq/brine/pkg/task"

	"github.com/brinehq/brine/pkg/wire"
)

// appendTask appends the wire encoding of it, one element of a Tasks batch.
func appendTask(b []byte, it *item) ([]byte, error) {
	c := it.call
	out, err := c.AppendArgs(wire.AppendTaskHead(b, it.id, c.Func(), c.Bound()))
	if err != nil {
		return b, err
	}
	return out, nil
}

// encodeTask appends a Tasks frame holding it alone.
func encodeTask(b []byte, it *item) ([]byte, error) {
	b, bw := wire.BeginTasks(b)
	b, err := appendTask(b, it)
	if err != nil {
		return b, &TaskError{Kind: wire.KindEncode, Message: err.Error(), Func: it.call.Func()}
	}
	return bw.End(b, 1)
}

// resultOf turns a decoded wire result into the Result of it.
func resultOf(it *item, r *wire.Result, compute time.Duration) Result {
	if r.Err != nil {
		te := &TaskError{Kind: r.Err.Kind, Message: r.Err.Message, Stack: r.Err.Stack, Func: it.call.Func()}
		if r.Err.Code != "" {
			te.Err = task.ErrorOf(r.Err.Code) // nil for a code this program did not register
		}
		return Result{Compute: compute, Err: te}
	}
	return Result{Raw: r.Value, Compute: compute}
}
