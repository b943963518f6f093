package coordinator

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

// runSerial runs the calls one after another in this goroutine, through
// the same registry functions as the pools (task.Call.Run) but with no
// pool: the baseline that speedups are measured against.
//
// It takes the tasks a segment at a time, as runSegments does: the first
// segment always, the others only while ctx lasts. Once ctx has ended, the
// rest of a segment is cancelled and the segments after it never start.
func (c *config) runSerial(ctx context.Context, label string, build func(int) task.Call, col *collector, stderr io.Writer) (measure, error) {
	pid := os.Getpid()
	n := c.params.Tasks
	bar := startProgress(stderr, label, n, col, c.noProgress)
	start := startClean()
	watch := c.obs.start(modeSerial, nil)
	first := 0
	for ; first < n && (first == 0 || ctx.Err() == nil); first += segmentTasks {
		size := min(segmentTasks, n-first)
		each := watch.segments(col)(first, size).one
		for k := range size {
			call := build(first + k)
			if err := call.Err(); err != nil {
				watch.end()
				bar.stop()
				return measure{}, err
			}
			r := runCall(ctx, call)
			r.Index, r.PID, r.Attempts = k, pid, 1
			each(r)
		}
	}
	col.skipped(first, n)
	wall := time.Since(start)
	watch.end()
	bar.stop()
	done := col.totals().done
	return measure{wall: wall, workers: []pool.WorkerInfo{{PID: pid, Tasks: done}}}, nil
}

// runCall runs one call, containing a panic as a worker does. A call made
// after ctx ended is cancelled without running.
func runCall(ctx context.Context, call task.Call) (r pool.Result) {
	if err := ctx.Err(); err != nil {
		return pool.Result{Err: &pool.TaskError{Kind: wire.KindCancelled, Message: err.Error(), Func: call.Func()}}
	}
	start := time.Now()
	defer func() {
		r.Compute = time.Since(start)
		if p := recover(); p != nil {
			r.Err = &pool.TaskError{Kind: wire.KindPanic, Message: fmt.Sprint(p), Stack: string(debug.Stack()), Func: call.Func()}
		}
	}()
	v, err := call.Run(ctx)
	if err != nil {
		return pool.Result{Err: &pool.TaskError{Kind: wire.KindError, Message: err.Error(), Func: call.Func()}}
	}
	return pool.Result{Value: v}
}
