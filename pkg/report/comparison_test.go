package report_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/brinehq/brine/pkg/report"
)

func ExampleCompare() {
	runs := []report.Run{
		{Mode: "thread", WorkerCount: 2, WallSeconds: 0.6, TasksOK: 40, Digest: "d",
			Cost: &report.Cost{ComputeSeconds: 1.1}},
		{Mode: "serial", WorkerCount: 1, WallSeconds: 1.0, TasksOK: 40, Digest: "d",
			Cost: &report.Cost{ComputeSeconds: 0.96}},
		{Mode: "process", WorkerCount: 2, WallSeconds: 0.55, TasksOK: 40, Digest: "d",
			Cost: &report.Cost{ComputeSeconds: 1.0}},
	}
	cmp := report.Compare(runs, 2)
	fmt.Printf("baseline %s, identical outputs %v\n", cmp.Baseline, cmp.IdenticalOutputs)
	for _, r := range cmp.Rows {
		fmt.Printf("%-8s speedup %.2f efficiency %.2f overhead/task %.1fms fastest %v\n",
			r.Mode, r.Speedup, r.Efficiency, 1000*r.OverheadPerTaskSeconds, r.Fastest)
	}
	// Output:
	// baseline serial, identical outputs true
	// thread   speedup 1.67 efficiency 0.83 overhead/task 6.0ms fastest false
	// serial   speedup 1.00 efficiency 1.00 overhead/task 1.0ms fastest false
	// process  speedup 1.82 efficiency 0.91 overhead/task 3.5ms fastest true
}

func TestCompareWithoutSerial(t *testing.T) {
	runs := []report.Run{
		{Mode: "thread", WorkerCount: 1, WallSeconds: 2, TasksOK: 10, Digest: "a", Cost: &report.Cost{ComputeSeconds: 1.5}},
		{Mode: "thread", WorkerCount: 4, WallSeconds: 0.5, TasksOK: 9, TasksFailed: 1, Digest: "b"},
	}
	cmp := report.Compare(runs, 4)
	if cmp.Baseline != "thread" || cmp.BaselineWallSeconds != 2 || cmp.BaselineComputeSeconds != 1.5 {
		t.Errorf("baseline %+v: want the first run", cmp)
	}
	if cmp.IdenticalOutputs {
		t.Errorf("digests a and b compared identical")
	}
	r := runs[1]
	if r.Cost == nil || r.Speedup != 4 || r.Efficiency != 1 {
		t.Fatalf("second run cost %+v: want speedup 4, efficiency 1", r.Cost)
	}
	// (4 workers × 0.5 s − 1.5 s) / 10 tasks
	if want := 0.05; math.Abs(r.OverheadPerTaskSeconds-want) > 1e-12 {
		t.Errorf("overhead per task %v, want %v", r.OverheadPerTaskSeconds, want)
	}
	if cmp.Fastest != 1 || !cmp.Rows[1].Fastest || cmp.Rows[0].Fastest {
		t.Errorf("fastest %d, rows %+v", cmp.Fastest, cmp.Rows)
	}
	if report.Compare(nil, 1) != nil {
		t.Errorf("Compare(nil) is not nil")
	}
}

// A run whose workers could not be started took no time, and is not the
// fastest: another run is, or none.
func TestCompareSkipsFailedStart(t *testing.T) {
	failed := report.Run{Mode: "process", WorkerCount: 2, TasksFailed: 10, Error: "its workers could not be started"}
	ok := report.Run{Mode: "thread", WorkerCount: 2, WallSeconds: 2, TasksOK: 10}
	if c := report.Compare([]report.Run{failed, ok}, 2); c.Fastest != 1 || !c.Rows[1].Fastest || c.Rows[0].Fastest {
		t.Errorf("fastest %d (rows %v, %v), want the run that ran", c.Fastest, c.Rows[0].Fastest, c.Rows[1].Fastest)
	}
	other := failed // of another mode: runs of one mode at one count would share a row
	other.Mode = "thread+wire"
	if c := report.Compare([]report.Run{failed, other}, 2); c.Rows[0].Fastest || c.Rows[1].Fastest {
		t.Error("a run whose workers never started is marked fastest")
	}
}

// Repeated runs share a row: the median wall, its range, and the median
// of the speedups each run has against the baseline of its own repeat.
func TestCompareRepeats(t *testing.T) {
	run := func(mode string, workers, repeat int, wall float64) report.Run {
		return report.Run{Mode: mode, WorkerCount: workers, WallSeconds: wall, TasksOK: 10, Digest: "d",
			Repeat: repeat, Cost: &report.Cost{ComputeSeconds: 0.9}}
	}
	runs := []report.Run{
		run("serial", 1, 1, 1.0), run("thread", 2, 1, 0.50), run("process", 2, 1, 0.60),
		run("serial", 1, 2, 2.0), run("thread", 2, 2, 1.00), run("process", 2, 2, 0.80),
		run("serial", 1, 3, 1.0), run("thread", 2, 3, 0.55), run("process", 2, 3, 0.50),
	}
	c := report.Compare(runs, 2)
	if len(c.Rows) != 3 || c.Repeats != 3 || c.Baseline != "serial" {
		t.Fatalf("rows %d, repeats %d, baseline %s: want 3 rows of 3 repeats against serial", len(c.Rows), c.Repeats, c.Baseline)
	}
	// Each run against its own repeat's serial run: the second repeat ran
	// everything twice as slowly and still gives thread 2.
	if got := runs[4].Speedup; got != 2 {
		t.Errorf("thread, repeat 2: speedup %v, want 2", got)
	}
	th := c.Rows[c.Row("thread", 2)]
	if th.Repeats != 3 || th.WallSeconds != 0.55 || th.WallMinSeconds != 0.5 || th.WallMaxSeconds != 1 {
		t.Errorf("thread row %+v: want median 0.55 in 0.5-1 over 3 repeats", th)
	}
	if th.Speedup != 2 || math.Abs(th.SpeedupMin-1/0.55) > 1e-12 || th.SpeedupMax != 2 || th.Efficiency != 1 {
		t.Errorf("thread speedup %v in %v-%v, efficiency %v: want 2 in 1.82-2, 1", th.Speedup, th.SpeedupMin, th.SpeedupMax, th.Efficiency)
	}
	if run := runs[th.Run]; run.Repeat != 3 || run.Mode != "thread" {
		t.Errorf("thread row's run is %+v, want the median one, repeat 3", run)
	}
	// thread (0.5-1) and process (0.5-0.8) overlap: neither is the
	// fastest beyond noise, though one has the least median.
	if c.FastestBeyondNoise || !c.Rows[c.Fastest].Fastest {
		t.Errorf("fastest %d beyond noise %v: want a least median but no clear fastest", c.Fastest, c.FastestBeyondNoise)
	}
	if c.Differ(c.Row("serial", 1), c.Row("thread", 2)) {
		// serial 1-2 and thread 0.5-1 touch at 1: they overlap.
		t.Errorf("serial 1-2 and thread 0.5-1 told apart, though their ranges meet")
	}
	if c.Row("thread-gil", 2) != -1 {
		t.Errorf("Row found a mode that never ran")
	}
}

// A single sample each: the fastest is named only when it leads the next
// by more than NoiseMargin.
func TestCompareFastestBeyondNoise(t *testing.T) {
	for _, tc := range []struct {
		second float64
		clear  bool
	}{{0.5 * (1 + report.NoiseMargin) * 1.01, true}, {0.5 * (1 + report.NoiseMargin) * 0.99, false}} {
		c := report.Compare([]report.Run{
			{Mode: "thread", WorkerCount: 2, WallSeconds: 0.5, TasksOK: 1},
			{Mode: "process", WorkerCount: 2, WallSeconds: tc.second, TasksOK: 1},
		}, 2)
		if c.Fastest != 0 || c.FastestBeyondNoise != tc.clear {
			t.Errorf("0.5s against %vs: fastest %d, beyond noise %v; want 0, %v", tc.second, c.Fastest, c.FastestBeyondNoise, tc.clear)
		}
	}
	if c := report.Compare([]report.Run{{Mode: "process", WorkerCount: 2, WallSeconds: 1}}, 2); c.FastestBeyondNoise {
		t.Errorf("a lone run is the fastest beyond noise")
	}
}

// A run whose workers never started computed nothing: its digest, that of
// no results, does not make the outputs differ, and it is no competitor
// for the fastest.
func TestCompareIgnoresFailedStart(t *testing.T) {
	ok := report.Run{Mode: "thread", WorkerCount: 2, WallSeconds: 2, TasksOK: 10, Digest: "a"}
	failed := report.Run{Mode: "process", WorkerCount: 2, TasksFailed: 10, Digest: "b", Error: "its workers could not be started"}
	c := report.Compare([]report.Run{ok, failed}, 2)
	if !c.IdenticalOutputs {
		t.Error("a run that never started makes the outputs differ")
	}
	if c.Fastest != 0 || c.FastestBeyondNoise {
		t.Errorf("fastest %d beyond noise %v: want the run that ran, beyond nothing", c.Fastest, c.FastestBeyondNoise)
	}
	other := ok
	other.Digest = "c"
	if c := report.Compare([]report.Run{ok, other}, 2); c.IdenticalOutputs {
		t.Error("two runs with different digests are called identical")
	}
}
