// Package task holds the function registry and the descriptors that let a
// function cross a process boundary.
//
// A Go closure cannot be serialized, so a function travels as a descriptor:
// the name it is registered under in the worker binary plus the arguments
// bound to it in advance, the way Python's pickle ships a function by its
// qualified name and functools.partial ships bound arguments. Register and
// Register2 record a typed function and return a typed handle (*Func,
// *Func2); Bind fixes the first argument of a Func2; Func.Call makes a Call,
// one invocation that a pool can run in-process (no serialization) or ship to
// a worker process as a wire.Task. Most programs never make a Call: they pass
// the handle to pool.Map, pool.Stream or pool.Submit, which check the types
// at compile time and the encodability of the arguments before sending.
// Register refuses, at start-up, argument and result types whose values
// would not come back from msgpack as they left, such as a struct with an
// unexported field: the Go counterpart of pickle refusing a lambda.
//
// RegisterState registers what each worker makes once for its tasks (a
// model loaded, a connection opened): State.Get returns the value of the
// worker that runs the task.
//
// Registration happens at package initialisation, in every binary that may
// serve as a worker, so that names resolve to the same functions on both
// sides of the pipe.
package task
