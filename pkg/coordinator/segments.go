package coordinator

import (
	"context"
	"errors"
	"sync"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

// segmentTasks is how many tasks a pool's Run is handed at once. A Run
// whose context ends passes a cancelled result for every task it was
// handed and had not started, and the coordinator keeps a result for each:
// handing a run's tasks over a segment at a time bounds both, whatever
// -tasks is, so that a stopped run of a billion tasks ends as soon as one
// of a hundred thousand. A segment is long enough (20 ms of the shortest
// tasks on two workers) that starting one costs nothing measurable.
const segmentTasks = 1 << 16

// runSegments runs tasks 0..n-1, build(i) making the i-th, on p, a segment
// of at most segmentTasks at a time, and passes each result to the sink
// that begin returned for its segment (called once per segment, in order,
// with the segment's first task and its length), a frame's results at once
// when the sink takes them so (pool.RunBatched); the sink receives the
// indexes the segment's Run gives, from 0.
//
// Two segments run at once: the next is queued while the results of the
// last come in, so that workers never wait for a segment to start. The
// first segment is always handed out, so that each task of a run of up to
// segmentTasks gets a result (cancelled, if ctx has ended), as they always
// have; once ctx ends no other segment is. runSegments returns when the
// segments handed out have ended, with how many tasks they had: the tasks
// after them never started. The error is the first of a Run that failed
// other than by ctx's end, after which no segment is handed out either.
func runSegments(ctx context.Context, p *pool.Pool, n int, build func(int) task.Call,
	begin func(first, n int) sink) (handed int, err error) {
	var wg sync.WaitGroup
	var mu sync.Mutex // guards err
	failed := func() bool { mu.Lock(); defer mu.Unlock(); return err != nil }
	closed := make(chan struct{})
	close(closed)
	// fed: the last segment's tasks are all queued; done: its Run, and the
	// one's before it, have returned.
	fed, done, doneBefore := (<-chan struct{})(closed), (<-chan struct{})(closed), (<-chan struct{})(closed)
	for handed < n {
		if handed > 0 && (!waitFor(ctx, fed) || !waitFor(ctx, doneBefore) || failed()) {
			break
		}
		first, size := handed, min(segmentTasks, n-handed)
		results := begin(first, size)
		segFed, segDone := make(chan struct{}), make(chan struct{})
		var feedOnce sync.Once
		markFed := func() { feedOnce.Do(func() { close(segFed) }) }
		wg.Go(func() {
			defer close(segDone)
			defer markFed() // a Run that returned early took no more
			call := func(i int) task.Call {
				if i == size-1 {
					markFed()
				}
				return build(first + i)
			}
			var runErr error
			if results.many != nil {
				runErr = p.RunBatched(ctx, size, call, results.one, results.many)
			} else {
				runErr = p.Run(ctx, size, call, results.one)
			}
			if runErr != nil && !errors.Is(runErr, context.Canceled) {
				mu.Lock()
				if err == nil {
					err = runErr
				}
				mu.Unlock()
			}
		})
		handed += size
		fed, doneBefore, done = segFed, done, segDone
	}
	wg.Wait()
	return handed, err
}

// waitFor waits until c is closed, and reports whether it was before ctx
// ended.
func waitFor(ctx context.Context, c <-chan struct{}) bool {
	select {
	case <-c:
		return ctx.Err() == nil
	case <-ctx.Done():
		return false
	}
}
