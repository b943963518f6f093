// Package pool is brine's engine: it runs task.Calls on a set of workers,
// either goroutines in this process (Thread) or worker processes (Process)
// that it spawns, feeds over pipes and supervises.
//
// New starts the workers; Map, MapAll, Imap, Stream, Submit, TrySubmit,
// SubmitFunc, Run and RunBatched hand them work; Close stops them, and Terminate stops
// them now, and both return once every goroutine and process the pool
// started has ended. The same calls run in either mode, so a program
// compares the cost and the isolation of processes with one option. What a
// task needs made once per worker, such as a model to load, it asks of a
// task.State: each worker process, and each thread worker, makes its own
// value the first time one of its tasks asks.
//
// Worker processes re-run the program that started them, so its main must
// hand over to the worker first; a test binary does it in TestMain:
//
//	if worker.IsWorker() {
//		os.Exit(worker.Main())
//	}
//
// New refuses to start workers inside a worker process, and says so, so a
// program that forgets the guard fails at once instead of starting workers
// that start workers. How workers are started and reached is a transport's
// business (Options.Transport): pipes to child processes by default.
//
// Nothing the pool holds grows with the number of tasks, so it needs no
// bound on tasks in flight (mpire's max_active_tasks):
//
//   - the queue of work waiting for a worker holds at most Workers × 256
//     tasks (and Workers × 4,096 calls where calls travel in chunks): Map,
//     MapAll, Run, Submit and SubmitFunc wait for room, TrySubmit says no;
//   - a worker process holds at most 4,096 tasks, and 2 MiB of encoded
//     arguments unless two tasks are larger (Options.Prefetch lowers it),
//     a thread worker 8;
//   - Stream and Imap read args only as the loop takes results, keeping at
//     most Workers × 256 tasks between the element read and the result
//     yielded, queue and workers included.
//
// What grows with the input is what the caller asks for: Map and MapAll
// return len(args) results and, in process mode, encode every argument
// before sending any, so that one msgpack cannot encode fails first: about
// 56 bytes per call besides its encoded size, until they return. An input
// too large to hold, or to hold twice, goes through Stream or Imap from an
// iter.Seq. The Futures of Submit are the caller's.
//
// The window of tasks in flight to a worker adapts to the measured
// duration of tasks: short tasks travel many to a frame, long ones one at a
// time so that no worker hoards them. Within a Run, short calls of one
// function with the same bound arguments also travel as chunks, as
// Python's Pool.map ships its iterable: the function's name and bound
// arguments once per chunk, each call's own arguments and result apart. A
// pool that sends chunks makes, as it starts, the chunks and items such a
// run holds at once and room for its frames, about 320 KB per worker, kept
// for its life and written through as it is made: its first large run
// then runs on memory already backed, not faulted in page by page. A Run of a single call on an idle worker process goes
// directly: its caller writes the call and reads the result itself, as a
// program talking to a child over a pipe would, and both ends poll for each
// other for a few tens of microseconds before they sleep (Options.Spin).
//
// In process mode the pool loses no task. A worker that dies (a crash,
// os.Exit, a kill, the OOM killer) or breaks the protocol is noticed when
// its output ends, and replaced, with a backoff when replacements die
// before doing anything; the tasks it held are sent to other workers up to
// Options.Retries times, each alone so that the one that kills workers is
// told apart, and then fail with a *TaskError whose Cause is the worker's
// *WorkerExitError. Options.TaskTimeout kills the worker of an overdue
// task; Options.MaxTasksPerWorker recycles workers. When a Run's context
// ends, its running tasks get Options.Grace to finish before their workers
// are killed (KillOn ends the wait early). Over a transport whose workers
// share a queue (transport.Queuer, such as NATS JetStream), the tasks go
// through that queue instead, and a dead worker's tasks are delivered
// again by it, at least once (see shared.go); not with a task timeout or
// recycling, which need to know what each worker holds. No worker
// outlives the pool, or the coordinator process: see docs/SECURITY.md.
package pool
