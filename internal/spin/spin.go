// Package spin waits for input on a pipe by polling it, for the short
// waits where waking a sleeping thread costs more than the wait.
//
// A thread blocked in read(2) on a pipe is woken by the writer: on a
// virtual machine whose other processor is idle that wake-up alone takes
// several microseconds, once each way of a round trip. A reader that polls
// the pipe instead, for a bounded time, sees the bytes as soon as they are
// written, so a round trip between two polling processes is the shorter
// (bench/RESULTS.md, "Design measurements": Polling a pipe).
package spin

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Readable polls fd, a pipe or socket, until bytes wait to be read on it or
// d has passed, and reports whether bytes are there. It returns false at
// once if d ≤ 0, and when fd cannot be polled (FIONREAD fails): the caller
// then reads as it would have.
//
// The poll neither yields nor tells the Go runtime that it makes system
// calls (which would let the runtime hand the goroutine's processor to
// another thread): it is meant for waits of tens of microseconds, far
// below a scheduler's time slice. Ends that yielded between polls made
// round trips slower, and at times the kernel kept both on one processor,
// each yielding to the other (bench/RESULTS.md, "Design measurements":
// Polling without yielding).
func Readable(fd int, d time.Duration) bool {
	if d <= 0 {
		return false
	}
	start := time.Now()
	for {
		n, ok := pending(fd)
		if !ok {
			return false
		}
		if n > 0 {
			return true
		}
		if time.Since(start) >= d {
			return false
		}
	}
}

// Ready reports whether bytes wait to be read on fd, a pipe or socket,
// now; false when fd cannot be polled.
func Ready(fd int) bool {
	n, ok := pending(fd)
	return ok && n > 0
}

// Pending returns how many bytes wait to be read on fd, a pipe or socket,
// now; 0 when fd cannot tell.
func Pending(fd int) int {
	n, _ := pending(fd)
	return int(n)
}

// pending returns how many bytes wait on fd (FIONREAD), and false when fd
// cannot tell.
func pending(fd int) (int32, bool) {
	var n int32
	if _, _, e := unix.RawSyscall(unix.SYS_IOCTL, uintptr(fd), unix.TIOCINQ, uintptr(unsafe.Pointer(&n))); e != 0 {
		return 0, false
	}
	return n, true
}
