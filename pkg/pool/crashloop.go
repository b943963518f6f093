package pool

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// crashLoopDeaths is how many worker processes in a row, across the pool,
// may die before finishing any task, with no task finished meanwhile,
// before the pool takes its workers for broken (a bad binary, a missing
// library, an environment that kills them): it then fails the tasks they
// would be sent instead of feeding one replacement after another, and says
// why. It goes on replacing them, with its backoff, and takes them for
// sound again once one finishes a task.
const crashLoopDeaths = 5

// crashLoop counts the deaths of fresh workers in a row.
type crashLoop struct {
	deaths atomic.Int32 // fresh workers dead in a row; read on every frame of results
	mu     sync.Mutex
	last   *WorkerExitError
	task   uint64 // the one task the last dead worker held, or 0
}

// died counts the death of w, which the pool did not cause, holding held.
// A worker that finished a task does not count, nor one that died holding
// the same one task as the last: that is a task that kills workers, which
// Options.Retries deals with.
func (c *crashLoop) died(w *proc, exit *WorkerExitError, held []*item) {
	if w.completed.Load() > 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var task uint64
	if len(held) == 1 {
		task = held[0].id
		if task == c.task {
			return
		}
	}
	c.task, c.last = task, exit
	c.deaths.Add(1)
}

// finished notes that a worker finished tasks: the workers are sound.
func (c *crashLoop) finished() {
	if c.deaths.Load() != 0 {
		c.deaths.Store(0)
	}
}

// broken returns why the pool takes its workers for broken, or nil.
func (c *crashLoop) broken() error {
	n := c.deaths.Load()
	if n < crashLoopDeaths {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Errorf("%d worker processes in a row died before finishing any task, the last: %v; "+
		"the workers seem broken (their binary, a library they need, their environment or limits): "+
		"the pool fails their tasks instead of sending them to the next", n, c.last)
}
