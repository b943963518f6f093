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
	if c := report.Compare([]report.Run{failed, failed}, 2); c.Rows[0].Fastest || c.Rows[1].Fastest {
		t.Error("a run whose workers never started is marked fastest")
	}
}
