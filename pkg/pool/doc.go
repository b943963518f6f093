// Package pool is brine's engine: it runs task.Calls on a set of workers,
// either goroutines in this process (Thread) or worker processes (Process)
// that it spawns, feeds over pipes and supervises.
//
// New starts the workers; Run, Map, Submit and Stream hand them work; Close
// stops them and returns once every goroutine and process the pool started
// has ended. The same calls run in either mode, so a program compares the
// cost and the isolation of processes with one option.
//
// Dispatch keeps a bounded window of tasks in flight per worker, so memory
// does not grow with the number of tasks. The window adapts to the measured
// duration of tasks: short tasks travel many to a frame, long ones one at a
// time so that no worker hoards them.
package pool
