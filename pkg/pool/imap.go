package pool

import (
	"context"
	"iter"

	"github.com/brinehq/brine/pkg/task"
)

// Imap calls f on each element of args on p's workers and yields the
// results in the order of args, like Python's Pool.imap:
//
//	for v, err := range pool.Imap(ctx, p, f, args) {
//		if err != nil {
//			return err // stops the map
//		}
//		use(v)
//	}
//
// It reads args lazily, as Stream does, on a goroutine of its own, and
// keeps at most Stream's window (a few hundred tasks per worker) between
// the element of args it reads and the result it yields: a task slower
// than those after it holds back the reading of args until its result is
// yielded, so args may be unbounded and memory stays bounded. Results that
// complete early wait for those before them; Stream yields them at once.
//
// A failed task yields the zero R and an error that names its index and
// wraps its *TaskError; so does an element of args that msgpack cannot
// encode (in process mode), which is not sent. The map goes on after
// either unless the loop stops it. If f cannot be called at all (see Map),
// Imap yields that error alone. When ctx ends or p closes, Imap yields the
// results it has in order up to the first task that did not run, then
// ctx.Err() or ErrClosed, last.
//
// Breaking out of the loop stops the map as it stops a Stream: the tasks
// not yet started are cancelled, the running ones get Options.Grace to
// heed their context, and none outlives the loop.
func Imap[A, R any](ctx context.Context, p *Pool, f *task.Func[A, R], args iter.Seq[A]) iter.Seq2[R, error] {
	return func(yield func(R, error) bool) {
		var zero R
		s, err := startStream(ctx, p, f, args)
		if err != nil {
			yield(zero, err)
			return
		}
		defer s.stop()
		// The tokens of room bound the indices in flight to
		// [next, next+window): a ring of window results reorders them.
		window := cap(s.room)
		ahead := make([]streamed[R], window)
		has := make([]bool, window)
		next := 0
		for r := range s.out {
			k := r.index % window
			ahead[k], has[k] = r, true
			for k := next % window; has[k]; k = next % window {
				r := ahead[k]
				ahead[k], has[k] = streamed[R]{}, false
				if r.cancelled {
					// Nothing past a task that did not run can be in order.
					yield(zero, p.stopCause(ctx))
					return
				}
				<-s.room
				next++
				if !yield(r.value, r.err) {
					return
				}
			}
		}
		if s.halted {
			yield(zero, p.stopCause(ctx))
		}
	}
}
