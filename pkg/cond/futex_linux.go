package cond

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// futex(2) operations. No FUTEX_PRIVATE_FLAG: the words live in a
// MAP_SHARED mapping, so the kernel must key them by file and offset.
const (
	futexWaitBitset = 9  // FUTEX_WAIT_BITSET: absolute CLOCK_MONOTONIC timeout
	futexWakeBitset = 10 // FUTEX_WAKE_BITSET
	allBits         = math.MaxUint32
	wakeAll         = math.MaxInt32
)

// futexWait sleeps while *addr == val until woken through a bit in bits or
// until deadline (CLOCK_MONOTONIC ns; 0 means none). It returns nil on a
// wake-up, a changed word or a signal, and unix.ETIMEDOUT at the deadline.
func futexWait(addr *atomic.Uint32, val, bits uint32, deadline int64) error {
	var tsp *unix.Timespec
	if deadline > 0 {
		ts := unix.NsecToTimespec(deadline)
		tsp = &ts
	}
	_, _, e := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)),
		futexWaitBitset, uintptr(val), uintptr(unsafe.Pointer(tsp)), 0, uintptr(bits))
	switch e {
	case 0, unix.EAGAIN, unix.EINTR:
		return nil
	case unix.ETIMEDOUT:
		return unix.ETIMEDOUT
	default:
		return e
	}
}

// futexWake wakes up to n waiters on addr whose bitset intersects bits.
func futexWake(addr *atomic.Uint32, n int, bits uint32) {
	// Errors are impossible for a valid, mapped, aligned word.
	_, _, _ = unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)),
		futexWakeBitset, uintptr(n), 0, 0, uintptr(bits))
}

// monoDeadline converts ctx's deadline to CLOCK_MONOTONIC ns, 0 if none.
func monoDeadline(ctx context.Context) int64 {
	d, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	return Now() + max(int64(time.Until(d)), 1)
}

// deadlineErr is ctx.Err() after a futex timeout at ctx's deadline, which
// can come a moment before ctx's own timer fires.
func deadlineErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return context.DeadlineExceeded
}

// wakeOnCancel makes cancellation of ctx bump the sequence word seq and
// wake its sleepers whose bitset meets bits, so a cancelled wait returns at
// once without polling. Bumping seq closes the race with a waiter that
// checked ctx just before sleeping: its FUTEX_WAIT then fails with EAGAIN.
// The returned stop waits for the wake-up goroutine if it started.
func wakeOnCancel(ctx context.Context, seq *atomic.Uint32, bits uint32) (stop func()) {
	if ctx.Done() == nil {
		return func() {}
	}
	done := make(chan struct{})
	stopAfter := context.AfterFunc(ctx, func() {
		defer close(done)
		seq.Add(1)
		futexWake(seq, wakeAll, bits)
	})
	return func() {
		if !stopAfter() {
			<-done
		}
	}
}

// waitUntil sleeps on the sequence word seq with wake bit bits until done
// reports true, ctx ends or the region closes. done is checked after
// reading seq, and every state change bumps seq before waking, so no
// wake-up is missed. A ctx deadline becomes the futex's absolute timeout;
// cancellation wakes the sleeper through wakeOnCancel.
func (r *Region) waitUntil(ctx context.Context, seq *atomic.Uint32, bits uint32, done func() bool) error {
	stop := wakeOnCancel(ctx, seq, bits)
	defer stop()
	deadline := monoDeadline(ctx)
	for {
		s := seq.Load()
		if done() {
			return nil
		}
		if r.closing.Load() {
			return ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		switch err := futexWait(seq, s, bits, deadline); err {
		case nil:
		case unix.ETIMEDOUT:
			return deadlineErr(ctx)
		default:
			return fmt.Errorf("cond: futex wait: %w", err)
		}
	}
}

// yield gives the CPU to any other runnable thread or process. Tests
// count its calls.
var yield = func() { unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0) }
