package pool

import (
	"context"
	"fmt"
	"iter"
	"sync"

	"github.com/brinehq/brine/pkg/task"
)

// streamWindow is how many tasks per worker a Stream lets run ahead of the
// loop consuming its results: enough for a process worker to batch short
// tasks, few enough that a slow loop holds back the reading of args.
const streamWindow = 256

// Indexed is a result of Stream: the index of its argument in args, and the
// value the function returned.
type Indexed[R any] struct {
	Index int
	Value R
}

// Stream calls f on each element of args on p's workers and yields the
// results as they complete, in no particular order, like Python's
// Pool.imap_unordered:
//
//	for r, err := range pool.Stream(ctx, p, f, args) {
//		if err != nil {
//			return err // stops the stream
//		}
//		use(r.Index, r.Value)
//	}
//
// It reads args only as fast as the loop consumes results, keeping at most
// a few hundred tasks per worker between the two, so args may be unbounded.
// args is read on a goroutine of the stream's own, concurrently with the
// loop body.
//
// A failed task yields its index and an error that wraps its *TaskError;
// so does an element of args that msgpack cannot encode (in process mode),
// which is not sent. The stream goes on after either unless the loop stops
// it. An error about the stream as a whole has Index -1 and is the last one
// yielded: f cannot be called at all (see Map), or the stream stopped
// because ctx ended (ctx.Err()) or p closed (ErrClosed); tasks cancelled
// then are not yielded one by one.
//
// Breaking out of the loop cancels the tasks not yet started and returns
// once those running have ended, as Run does when its context ends: worker
// processes still running them after Options.Grace are killed. No task of
// the stream outlives its loop.
func Stream[A, R any](ctx context.Context, p *Pool, f *task.Func[A, R], args iter.Seq[A]) iter.Seq2[Indexed[R], error] {
	return func(yield func(Indexed[R], error) bool) {
		s, err := startStream(ctx, p, f, args)
		if err != nil {
			yield(Indexed[R]{Index: -1}, err)
			return
		}
		defer s.stop()
		cancelled := false
		for r := range s.out {
			<-s.room
			if r.cancelled {
				cancelled = true // reported once, below
				continue
			}
			if !yield(Indexed[R]{Index: r.index, Value: r.value}, r.err) {
				return
			}
		}
		if cancelled || s.halted {
			yield(Indexed[R]{Index: -1}, p.stopCause(ctx))
		}
	}
}

// startStream checks that f can be called and starts feeding args to p's
// workers, a window of tasks ahead of the loop that takes their results
// from out and gives a token back to room for each. The caller must stop
// it.
func startStream[A, R any](ctx context.Context, p *Pool, f *task.Func[A, R], args iter.Seq[A]) (*stream[A, R], error) {
	var zero A
	if err := p.check(f.Call(zero)); err != nil {
		return nil, err
	}
	window := streamWindow * p.opts.Workers
	s := &stream[A, R]{p: p, f: f, room: make(chan struct{}, window), out: make(chan streamed[R], window)}
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.rs = newRunState(s.ctx, s.each, 1) // the feeder's count, while it adds
	s.rs.borrow = true                   // each decodes Raw: a copy
	s.feeder.Go(func() { s.feed(args) }) // owned by s.feeder, awaited in stop
	return s, nil
}

// stream is one iteration of a Stream or an Imap.
type stream[A, R any] struct {
	p      *Pool
	f      *task.Func[A, R]
	ctx    context.Context // cancelled when the loop ends
	cancel context.CancelFunc
	rs     *runState
	// room holds a token for each task from before it is submitted until
	// its result is taken from out (Stream) or yielded in order (Imap), so
	// out never fills and each never blocks.
	room   chan struct{}
	out    chan streamed[R] // closed by feed once every task it started has ended
	halted bool             // feed stopped before the end of args; read after out closes
	feeder sync.WaitGroup
}

type streamed[R any] struct {
	index     int
	value     R
	err       error
	cancelled bool // not run, or failed once the stream was stopping
}

// feed submits a task per element of args, each once a token is free.
func (s *stream[A, R]) feed(args iter.Seq[A]) {
	defer close(s.out)
	defer func() {
		s.rs.finish()
		s.p.await(s.rs)
	}()
	i := 0
	items := itemSource{p: s.p}
	for a := range args {
		select {
		case s.room <- struct{}{}:
		case <-s.ctx.Done():
		}
		if s.ctx.Err() != nil {
			s.halted = true
			return
		}
		c, err := seal(s.p, s.f.Call(a))
		if err != nil {
			s.out <- streamed[R]{index: i, err: fmt.Errorf("pool: args[%d]: %w", i, err)}
			i++
			continue
		}
		s.rs.expect()
		it := items.next(i, c, s.rs)
		i++
		if err := s.p.enqueue(s.ctx, it); err != nil {
			it.cancelled(err)
			s.halted = true
			return
		}
	}
}

// each receives a result from the pool's goroutines.
func (s *stream[A, R]) each(r Result) {
	v, err := value(s.f, &r)
	if err != nil && (isCancelled(err) || s.ctx.Err() != nil) {
		s.out <- streamed[R]{index: r.Index, cancelled: true}
		return
	}
	if err != nil {
		err = fmt.Errorf("pool: args[%d]: %w", r.Index, err)
	}
	s.out <- streamed[R]{index: r.Index, value: v, err: err}
}

// stop cancels what has not started and waits for the feeder, which ends
// once every task it started has ended (see Pool.await).
func (s *stream[A, R]) stop() {
	s.cancel()
	for range s.out {
	}
	s.feeder.Wait()
}
