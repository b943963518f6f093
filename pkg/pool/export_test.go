package pool

// SetTaskNanos sets the pool's estimate of how long a task runs, which sizes
// the chunks of the next Run until results revise it: 1 makes them as large
// as they may be.
func SetTaskNanos(p *Pool, nanos int64) { p.taskNanos.Store(nanos) }
