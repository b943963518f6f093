package jobs

import (
	"context"
	"os"
	"sync/atomic"

	"github.com/brinehq/brine/pkg/task"
)

// sharedCounter is the counter that DemoAdd increments: one per process,
// as every package variable is.
var sharedCounter atomic.Int64

// SharedCounter returns this process's value of the counter DemoAdd adds to.
func SharedCounter() int64 { return sharedCounter.Load() }

// ResetSharedCounter sets this process's counter back to zero.
func ResetSharedCounter() { sharedCounter.Store(0) }

// Added is what DemoAdd returns: what it added, the counter it added to as
// it stood afterwards, and the process it ran in.
type Added struct {
	Added   int64 `msgpack:"added"`
	Counter int64 `msgpack:"counter"`
	PID     int   `msgpack:"pid"`
}

// DemoAdd adds 1 to the package's counter n times, for `coordinator demo
// shared`: goroutines that run it share one counter, worker processes each
// have their own, and only the returned Added crosses back.
var DemoAdd = task.Register("demo.add", func(ctx context.Context, n int64) (Added, error) {
	var now int64
	for range n {
		now = sharedCounter.Add(1)
	}
	return Added{Added: n, Counter: now, PID: os.Getpid()}, nil
})
