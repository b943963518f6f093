package pool

import (
	"context"
	"fmt"

	"github.com/brinehq/brine/pkg/task"
)

// MapAll calls f once per element of args on p's workers, as Map does, but
// a failure stops nothing: every task runs, and MapAll returns every result
// and every error, each at the index of its argument, as Python's Pool.map
// would with the errors caught in the function, or conc's pool with
// WithErrors, indexed. It blocks until every task it started has ended.
//
// errs is nil when every call succeeded. Otherwise it has len(args)
// elements: errs[i] is nil where f(args[i]) succeeded and vals[i] holds its
// result; elsewhere vals[i] is the zero R and errs[i] names the index and
// wraps why: the task's *TaskError, or, in process mode, the encoding error
// of an argument msgpack cannot encode (that one is not sent; the others
// are). errors.Join(errs...) makes one error of them.
//
// When ctx ends or p closes, the tasks not yet started are not run: their
// errs wrap ctx.Err() or ErrClosed; the running ones are stopped as Run
// stops them, and keep their result if they finish. The error of a task
// that fails once ctx has ended, perhaps because it did (a function that
// returns ctx.Err() in thread mode), wraps both ctx.Err() and the task's
// error. If f cannot be called
// at all (its function is unknown to the workers, or its bound argument
// could not be encoded), every errs[i] wraps that error and nothing is sent.
func MapAll[A, R any](ctx context.Context, p *Pool, f *task.Func[A, R], args []A) (vals []R, errs []error) {
	vals, errs = make([]R, len(args)), make([]error, len(args))
	var zero A
	if err := p.check(f.Call(zero)); err != nil {
		for i := range errs {
			errs[i] = fmt.Errorf("pool: args[%d]: %w", i, err)
		}
		return vals, errs
	}
	// index[j] is the index in args of the j-th call sent: all of them
	// but those whose argument could not be encoded.
	var index []int
	var build func(j int) task.Call
	if !p.encodes() {
		build = func(j int) task.Call { return f.Call(args[j]) }
	} else {
		calls := sealAll(p, f, args, func(i int, err error) bool {
			errs[i] = fmt.Errorf("pool: args[%d]: %w", i, err)
			return true
		})
		index = make([]int, 0, len(args))
		for i := range calls {
			if calls[i].Call != nil {
				index = append(index, i)
			}
		}
		build = func(j int) task.Call { return &calls[index[j]] }
	}
	n := len(args)
	if index != nil {
		n = len(index)
	}
	p.run(ctx, n, build, func(r Result) { // it decodes Raw: a copy
		i := r.Index
		if index != nil {
			i = index[i]
		}
		v, err := value(f, &r)
		switch {
		case isCancelled(err):
			errs[i] = fmt.Errorf("pool: args[%d] cancelled: %w", i, p.stopCause(ctx))
		case err != nil && ctx.Err() != nil:
			errs[i] = fmt.Errorf("pool: args[%d]: %w: %w", i, ctx.Err(), err)
		case err != nil:
			errs[i] = fmt.Errorf("pool: args[%d]: %w", i, err)
		default:
			vals[i] = v // each index is written once; Run's return orders it before ours
		}
	}, true)
	for _, err := range errs {
		if err != nil {
			return vals, errs
		}
	}
	return vals, nil
}
