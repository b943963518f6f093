// Package cond provides condition variables and barriers with the semantics
// of Python's threading.Condition and threading.Barrier, in two
// implementations behind one API (the Cond, Barrier and Locker interfaces):
//
//   - In-process: NewCond and NewBarrier, built on channels, for goroutines.
//   - Cross-process: a Region of shared memory (NewRegion in the coordinator,
//     OpenRegion in a worker that inherited its file) holding up to
//     MaxObjects named conds and barriers (Region.Cond, Region.Barrier) used
//     by as many processes as NewRegion made it for, up to MaxProcs. Waiters
//     sleep on shared futexes, so NotifyAll and a barrier release wake every
//     process in one system call.
//
// Every blocking call takes a context and returns ctx.Err() (or an error
// wrapping it) when the context ends first, leaving the object consistent.
//
// The cross-process implementation is crash-aware: the coordinator, which
// reaps its workers, reports each exit with Region.ProcessDied. Barriers the
// dead process had joined break with a *PartyDiedError naming its pid and
// exit status, and a lock it held is recovered: the next Lock returns
// ErrOwnerDead while holding the lock, like a robust mutex's EOWNERDEAD.
//
// Cross-process waits honour ctx without polling where they can: a cond or
// barrier wait hands ctx's deadline to the kernel as an absolute
// CLOCK_MONOTONIC futex timeout, and cancellation bumps the futex word and
// wakes the sleeper from a context.AfterFunc (one short goroutine per
// cancelled wait, none otherwise). A lock word holds its holder's pid and
// cannot be bumped, so a Lock waits at most 20ms per sleep before checking
// ctx, Close and the holder's liveness again; locks are held briefly, so
// those wake-ups are rare and cheap.
//
// A cross-process barrier wait under a context from WithSpin spins,
// yielding the CPU, before it sleeps: a waiter still spinning sees its
// release at once instead of waiting for the kernel to wake it.
//
// Now returns CLOCK_MONOTONIC nanoseconds, the same clock in every process,
// for measuring wake-up latency across processes.
package cond
