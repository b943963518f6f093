package coordinator

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The modes a run can have: where the job's calls execute.
const (
	modeSerial     = "serial"      // a plain loop in the coordinator's goroutine, no pool
	modeThread     = "thread"      // goroutines, no serialization
	modeThreadGIL  = "thread-gil"  // goroutines behind one global lock (pool.Options.GIL)
	modeThreadWire = "thread+wire" // goroutines, every task and result through the wire codec
	modeProcess    = "process"     // worker processes over pipes
)

// runModes are the modes in the order runs are made: serial first, as the
// baseline, and each step adding one cost to the one before it.
var runModes = []string{modeSerial, modeThread, modeThreadGIL, modeThreadWire, modeProcess}

const modeHelp = "where tasks run: serial, thread, thread-gil, thread+wire, process, " +
	"both (thread, process), all (serial, thread, thread+wire, process), " +
	"lesson (serial, thread, thread-gil, process: the lesson, with a verdict), or a comma-separated list; " +
	"runs are made in that order"

// expandModes turns a -mode value into the modes to run, in runModes order.
// gil adds a thread-gil run after the thread run; it needs one.
func expandModes(spec string, gil bool) ([]string, error) {
	var want []string
	for _, m := range strings.Split(spec, ",") {
		switch m = strings.TrimSpace(m); m {
		case "both":
			want = append(want, modeThread, modeProcess)
		case "all":
			want = append(want, modeSerial, modeThread, modeThreadWire, modeProcess)
		case "lesson":
			want = append(want, modeSerial, modeThread, modeThreadGIL, modeProcess)
		default:
			if !slices.Contains(runModes, m) {
				return nil, usagef("unknown -mode %q: want serial, thread, thread-gil, thread+wire, process, both, all or lesson", m)
			}
			want = append(want, m)
		}
	}
	if gil {
		if !slices.Contains(want, modeThread) && !slices.Contains(want, modeThreadGIL) {
			return nil, usagef("-gil adds a thread-gil run beside the thread run: use it with -mode thread, both or all")
		}
		want = append(want, modeThreadGIL)
	}
	var modes []string
	for _, m := range runModes {
		if slices.Contains(want, m) {
			modes = append(modes, m)
		}
	}
	return modes, nil
}

// parseSweep parses the worker counts of -sweep, "1,2,4,8".
func parseSweep(s string) ([]int, error) {
	var counts []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, usagef("-sweep wants worker counts of at least 1 separated by commas, like 1,2,4,8; not %q", f)
		}
		if !slices.Contains(counts, n) {
			counts = append(counts, n)
		}
	}
	return counts, nil
}

// step is one run of the job: a mode at a worker count.
type step struct {
	mode    string
	workers int
	label   string // names the run on the progress bar
}

// stepLabel names run n of total, s, for the progress bar.
func stepLabel(s step, n, total int) string {
	return fmt.Sprintf("%s, %d %s (run %d of %d)", s.mode, s.workers, plural(s.workers, "worker", "workers"), n, total)
}

// plan returns the runs to make: each mode at each worker count, the
// counts in -sweep order. A serial run has one worker whatever the count,
// so it is made once, first.
func (c *config) plan() []step {
	counts := c.sweep
	if len(counts) == 0 {
		counts = []int{c.workers}
	}
	var steps []step
	if slices.Contains(c.modes, modeSerial) {
		steps = append(steps, step{mode: modeSerial, workers: 1})
	}
	for _, n := range counts {
		for _, m := range c.modes {
			if m != modeSerial {
				steps = append(steps, step{mode: m, workers: n})
			}
		}
	}
	return steps
}
