package coordinator

import (
	"fmt"
	"strings"

	"github.com/brinehq/brine/pkg/report"
)

// verdict says in words what the comparison shows, a line per mode
// against the serial loop, with the measured figures: the lesson of the
// table. A difference within the noise of the measurement is called so,
// never a win. It returns nil unless a serial run and some other ran, at
// one worker count.
func verdict(cmp *report.Comparison, sweep []int) []string {
	base := cmp.Row(modeSerial, 1)
	if len(cmp.Rows) < 2 || len(sweep) > 0 || base < 0 {
		return nil
	}
	head := fmt.Sprintf("verdict against serial (medians of %d runs; within noise: within %.0f%% of 1×, or a run on each side):",
		cmp.Repeats, 100*report.NoiseMargin)
	if cmp.Repeats < 2 {
		head = fmt.Sprintf("verdict against serial (one run each; within noise: within %.0f%% of 1×):", 100*report.NoiseMargin)
	}
	t := table{header: []string{"", "", ""}}
	// The lesson's order: the GIL stops threads, Go's threads have none,
	// processes pay to get round it.
	for _, m := range []string{modeThreadGIL, modeThread, modeThreadWire, modeProcess} {
		for i, r := range cmp.Rows {
			if r.Mode == m {
				x, why := judge(cmp, i, base)
				t.rows = append(t.rows, []string{"  " + describeMode(m), x, why})
			}
		}
	}
	var b strings.Builder
	t.writeRows(&b)
	return append([]string{head}, strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")...)
}

// judge gives row i's speedup and says what it shows against the serial
// row base.
func judge(cmp *report.Comparison, i, base int) (string, string) {
	r := cmp.Rows[i]
	x := fmt.Sprintf("%.2f×", r.Speedup)
	if r.Repeats > 1 {
		x = fmt.Sprintf("%.2f× (%.2f–%.2f)", r.Speedup, r.SpeedupMin, r.SpeedupMax)
	}
	cores := min(r.Workers, max(cmp.CPUs, 1))
	switch against := versus(r); {
	case r.Mode == modeThreadGIL && against == 0:
		return x, "within noise: only one runs at a time"
	case r.Mode == modeThreadGIL && against > 0:
		return x, "faster: a task that waits releases the GIL"
	case r.Mode == modeThread && against > 0:
		if r.Workers > cores {
			return x, fmt.Sprintf("faster: no GIL in Go, all %d proceed at once (on %d %s)", r.Workers, cores, plural(cores, "core", "cores"))
		}
		return x, fmt.Sprintf("faster: no GIL in Go, %d run at once on %d %s", r.Workers, cores, plural(cores, "core", "cores"))
	case r.Mode == modeThreadWire && against > 0:
		return x, fmt.Sprintf("faster: serializing took only %s in all", short(r.EncodeSeconds+r.DecodeSeconds))
	case r.Mode == modeProcess && against > 0:
		return x, fmt.Sprintf("faster: in parallel, every task serialized (%s sent)", bytesOrDash(r.BytesToWorkers))
	case against < 0:
		return x, fmt.Sprintf("slower: costs more than %d workers gain", r.Workers)
	}
	return x, "within noise of serial"
}

// versus says whether a row is faster than the baseline (1), slower (-1),
// or within noise of it (0): its speedup must be beyond
// report.NoiseMargin, and when repeated, every run's speedup against the
// baseline run of its own turn, which ran beside it, on the same side of 1.
// On a busy machine runs of the same work differ by tens of percent, and
// the verdict must not call that a win.
func versus(r report.ComparisonRow) int {
	if r.Repeats > 1 {
		switch {
		case r.SpeedupMin > 1 && r.Speedup > 1+report.NoiseMargin:
			return 1
		case r.SpeedupMax < 1 && r.Speedup < 1/(1+report.NoiseMargin):
			return -1
		}
		return 0
	}
	switch {
	case r.Speedup > 1+report.NoiseMargin:
		return 1
	case r.Speedup < 1/(1+report.NoiseMargin):
		return -1
	}
	return 0
}

// describeMode names a mode in words.
func describeMode(m string) string {
	switch m {
	case modeThread:
		return "threads"
	case modeThreadGIL:
		return "threads under a GIL"
	case modeThreadWire:
		return "threads + wire"
	case modeProcess:
		return "processes"
	}
	return m
}
