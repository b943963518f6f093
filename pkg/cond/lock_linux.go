package cond

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// A lock word holds the holder's pid, so a lock held by a dead process can
// be recognised and recovered. The layout follows the kernel's robust
// futexes (FUTEX_WAITERS, FUTEX_OWNER_DIED), but the kernel's robust list is
// per thread and goroutines migrate between threads, so recovery is done
// in user space by ProcessDied or by a waiter that finds the holder gone.
const (
	lockWaiters   = 1 << 31 // someone may sleep on the word: Unlock must wake
	lockOwnerDied = 1 << 30 // free, but the last holder died holding it
	lockPIDMask   = lockOwnerDied - 1
)

// lockPoll bounds each sleep on a lock word. Lock words cannot be bumped to
// interrupt a sleeper, so cancellation, Close and a holder that died
// without ProcessDied are noticed within this interval. Locks are held
// briefly, so the periodic wake-ups cost little.
const lockPoll = 20 * time.Millisecond

// lockWord acquires w for this process. It returns nil, ErrOwnerDead (held),
// ctx's error or ErrClosed (not held).
func (r *Region) lockWord(ctx context.Context, w *atomic.Uint32) error {
	_, err := r.lockWordFrom(ctx, w)
	return err
}

// lockWordFrom is lockWord that also returns, with ErrOwnerDead, the dead
// holder's pid when this process found it dead itself; it is 0 when
// ProcessDied had already freed the word.
func (r *Region) lockWordFrom(ctx context.Context, w *atomic.Uint32) (dead uint32, err error) {
	if w.CompareAndSwap(0, r.pid) {
		return 0, nil
	}
	return r.lockSlow(ctx, w)
}

func (r *Region) lockSlow(ctx context.Context, w *atomic.Uint32) (dead uint32, err error) {
	slept, polled := false, false
	for {
		v := w.Load()
		if v&lockPIDMask == 0 {
			nv := r.pid | v&lockWaiters
			if slept {
				nv |= lockWaiters // others may still sleep behind us
			}
			if w.CompareAndSwap(v, nv) {
				if v&lockOwnerDied != 0 {
					return 0, ErrOwnerDead
				}
				return 0, nil
			}
			continue
		}
		if err := r.stopWaiting(ctx); err != nil {
			if slept {
				futexWake(w, 1, allBits) // pass on a wake-up we may have consumed
			}
			return 0, err
		}
		if holder := v & lockPIDMask; polled && !alive(holder) {
			if w.CompareAndSwap(v, r.pid|lockWaiters) {
				return holder, ErrOwnerDead
			}
			continue
		}
		if v&lockWaiters == 0 && !w.CompareAndSwap(v, v|lockWaiters) {
			continue
		}
		deadline := Now() + int64(lockPoll)
		if d := monoDeadline(ctx); d > 0 && d < deadline {
			deadline = d
		}
		polled = futexWait(w, v|lockWaiters, allBits, deadline) == unix.ETIMEDOUT
		slept = true
	}
}

// stopWaiting reports why a lock wait must end: the region is closing or
// ctx is done (including a deadline ctx's timer has not yet signalled).
func (r *Region) stopWaiting(ctx context.Context) error {
	if r.closing.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// unlockWord releases w, which this process must hold.
func (r *Region) unlockWord(w *atomic.Uint32) {
	for {
		v := w.Load()
		if v&lockPIDMask != r.pid {
			panic(fmt.Sprintf("cond: Unlock of a lock not held by this process (word %#x, pid %d)", v, r.pid))
		}
		if w.CompareAndSwap(v, 0) {
			if v&lockWaiters != 0 {
				futexWake(w, 1, allBits)
			}
			return
		}
	}
}

// recoverWord frees w if pid holds it, marking it owner-dead so the next
// locker learns of it, and wakes its sleepers.
func recoverWord(w *atomic.Uint32, pid uint32) {
	for {
		v := w.Load()
		if v&lockPIDMask != pid {
			return
		}
		if w.CompareAndSwap(v, lockOwnerDied|lockWaiters) {
			futexWake(w, wakeAll, allBits)
			return
		}
	}
}

// takeFromDead acquires w for this process if dead, a process that has
// exited, holds it, and reports whether it did. Unlike recoverWord it
// leaves no owner-died mark: the caller learns of the death directly.
func (r *Region) takeFromDead(w *atomic.Uint32, dead uint32) bool {
	for {
		v := w.Load()
		if v&lockPIDMask != dead {
			return false
		}
		if w.CompareAndSwap(v, r.pid|lockWaiters) { // others may sleep on it
			return true
		}
	}
}

// alive reports whether pid may still be running. A zombie counts as alive
// until its parent reaps it; ESRCH is the only proof of death.
func alive(pid uint32) bool {
	return unix.Kill(int(pid), 0) != unix.ESRCH
}
