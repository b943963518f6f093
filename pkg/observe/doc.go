// Package observe watches the runs of a pool from above it: it turns each
// result the pool delivers, and what the pool says of its workers and its
// serialization, into Prometheus metrics (Metrics), a Chrome trace-event
// file of every task (Trace) and a timeline picture (WriteTimeline).
//
// An Observer holds what is wanted; Observer.Start begins watching one run
// and returns its Run, whose Observe takes each pool.Result as it arrives
// and whose End closes the run. Nothing here reaches into the pool or its
// transport: every transport (pipes, go-plugin, or another) reports the
// same metrics and the same spans, built from pool.Result, pool.Pool.Workers
// and pool.Pool.Stats.
//
// A task's span ends when the observer received its result and began
// Result.Compute before that: it is where the coordinator saw the task, not
// a clock reading taken in the worker.
package observe
