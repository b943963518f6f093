// Package pool is brine's engine: it runs task.Calls on a set of workers,
// either goroutines in this process (Thread) or worker processes (Process)
// that it spawns, feeds over pipes and supervises.
//
// New starts the workers; Run, Map, Submit and Stream hand them work; Close
// stops them and returns once every goroutine and process the pool started
// has ended. The same calls run in either mode, so a program compares the
// cost and the isolation of processes with one option.
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
// Dispatch keeps a bounded window of tasks in flight per worker, so memory
// does not grow with the number of tasks. The window adapts to the measured
// duration of tasks: short tasks travel many to a frame, long ones one at a
// time so that no worker hoards them. Within a Run, short calls of one
// function with the same bound arguments also travel as chunks, as
// Python's Pool.map ships its iterable: the function's name and bound
// arguments once per chunk, each call's own arguments and result apart. A
// Run of a single call on an idle worker process goes directly: its caller
// writes the call and reads the result itself, as a program talking to a
// child over a pipe would, and both ends poll for each other for a few tens
// of microseconds before they sleep (Options.Spin).
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
// are killed (KillOn ends the wait early). No worker outlives the pool, or
// the coordinator process: see docs/SECURITY.md.
package pool
