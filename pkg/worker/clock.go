package worker

import "time"

// Timing the tasks of a frame (docs/PROTOCOL.md §5, Nanos). Reading the
// monotonic clock can cost as much as a trivial task itself, on a virtual
// machine whose clock is kvm-clock (bench/RESULTS.md, "Design
// measurements": Reading the clock), so a run of short calls of one
// function (Calls frames) is read every few tasks rather than after each:
//
//   - while the calls' measured mean stays under shortTask, the clock is read
//     every sampleEvery tasks, at the frame's last, and whenever the watcher
//     sees one task run through two of its looks, a millisecond apart
//     (watcher.stalled);
//   - a task between readings is given the last mean as its time; the task
//     at a reading gets what the span since the last reading holds beyond
//     the times given. When the calls ran faster than their mean, the times
//     given exceed the span: the task at the reading gets 0, and the excess
//     is owed, taken from the next readings of short calls (a long call
//     keeps its time whole), the calls between them given 0 until it is
//     paid. So the calls' times add up to what the clock saw, give or take
//     one sample's estimates (under sampleEvery × shortTask), which a change
//     of function forgives.
//
// A result still goes out as soon as its task ends; only its figure is an
// estimate. A task of two milliseconds or more gets its own reading (when
// the watcher's timer keeps time); a shorter one, among calls that take a
// few hundred nanoseconds, may have its time counted to a task up to
// sampleEvery behind it.
const sampleEvery = 8

// shortTask is the longest mean of calls that are read every few (a
// variable for tests).
var shortTask = 2 * time.Microsecond

// laps times the tasks of the frames a worker runs, one after another.
type laps struct {
	clock func() time.Duration // the time since the worker began (monotonic)
	last  time.Duration        // the last reading
	given time.Duration        // the times given since it, without a reading
	since int                  // the tasks given them
	mean  time.Duration        // the calls' time at the last reading, if short; else 0
	owed  time.Duration        // the times given beyond the clock, to take from the next readings
	fn    string               // the function of the calls sampled, "" for a frame of tasks
}

// monotonic returns a clock that reads the time since now by the
// monotonic clock alone: time.Now reads the wall clock as well, which costs
// as much again.
func monotonic() func() time.Duration {
	epoch := time.Now()
	return func() time.Duration { return time.Since(epoch) }
}

// frame begins the timing of a frame's tasks: the first is timed from now.
// The calls of a Calls frame of function fn may be read every few; the
// tasks of any other frame (fn "") are read each. A mean measured on
// other calls than fn's is no estimate of theirs.
func (l *laps) frame(fn string) {
	l.last, l.given, l.since = l.clock(), 0, 0
	if fn == "" || fn != l.fn {
		l.mean, l.owed = 0, 0
	}
	l.fn = fn
}

// lap returns how long the task that just ended took; read forces a
// reading of the clock.
func (l *laps) lap(read bool) time.Duration {
	if l.fn != "" && l.mean > 0 && !read && l.since+1 < sampleEvery {
		est := l.mean
		if l.owed > 0 {
			est = 0 // the readings pay what was given too much
		}
		l.since++
		l.given += est
		return est
	}
	now := l.clock()
	span := now - l.last
	d := span - l.given
	switch {
	case d < 0: // given beyond the clock
		l.owed, d = l.owed-d, 0
	case d < shortTask && l.owed > 0: // a short call pays back; a long one keeps its time whole
		pay := min(d, l.owed)
		l.owed, d = l.owed-pay, d-pay
	}
	if m := span / time.Duration(l.since+1); m < shortTask {
		l.mean = max(m, 1)
	} else {
		l.mean = 0
	}
	l.last, l.given, l.since = now, 0, 0
	return d
}
