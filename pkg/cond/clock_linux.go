package cond

import "golang.org/x/sys/unix"

// Now returns CLOCK_MONOTONIC in nanoseconds. The clock is system-wide, so
// stamps taken in different processes compare directly; it is also the
// clock futex deadlines are measured on.
func Now() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic("cond: clock_gettime(CLOCK_MONOTONIC): " + err.Error()) // cannot fail on Linux
	}
	return ts.Nano()
}
