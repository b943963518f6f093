package coordinator

import (
	"regexp"
	"strings"
	"testing"

	"github.com/brinehq/brine/pkg/report"
)

// negativeCell matches a table cell that starts with a minus and a digit.
var negativeCell = regexp.MustCompile(`(^|\s)-\d`)

// printTable prints the comparison of runs and returns its text and the
// comparison, whose figures stay raw.
func printTable(runs []report.Run) (string, *report.Comparison) {
	cmp := report.Compare(runs, 2)
	var b strings.Builder
	printComparison(&b, cmp, runs, false)
	return b.String(), cmp
}

// The table never shows a negative overhead/task; the report keeps it.
func TestOverheadNeverNegative(t *testing.T) {
	t.Run("faster than the baseline", func(t *testing.T) {
		// serial: 1 × 1 s − 0.9 s compute = 1 ms/task; process: 2 × 0.4 s < 0.9 s.
		out, cmp := printTable([]report.Run{
			{Mode: "serial", WorkerCount: 1, WallSeconds: 1, TasksOK: 100, Cost: &report.Cost{ComputeSeconds: 0.9}},
			{Mode: "process", WorkerCount: 2, WallSeconds: 0.4, TasksOK: 100, Cost: &report.Cost{ComputeSeconds: 0.7}},
		})
		if negativeCell.MatchString(out) {
			t.Errorf("a negative figure is printed:\n%s", out)
		}
		for _, want := range []string{" 1.00ms", " ≈0", "≈: within noise: measured a little faster than the ideal"} {
			if !strings.Contains(out, want) {
				t.Errorf("the table lacks %q:\n%s", want, out)
			}
		}
		if cmp.Rows[1].OverheadPerTaskSeconds >= 0 {
			t.Errorf("the comparison's figure is %v, want it kept negative", cmp.Rows[1].OverheadPerTaskSeconds)
		}
	})
	t.Run("implausible worker compute", func(t *testing.T) {
		// The process run is the baseline, and its workers claim an hour
		// of compute in 2 × 50 ms: no overhead derived from it is shown.
		out, _ := printTable([]report.Run{
			{Mode: "process", WorkerCount: 2, WallSeconds: 0.05, TasksOK: 10, Cost: &report.Cost{ComputeSeconds: 3600}},
			{Mode: "thread", WorkerCount: 2, WallSeconds: 0.05, TasksOK: 10, Cost: &report.Cost{ComputeSeconds: 0.09}},
		})
		if negativeCell.MatchString(out) {
			t.Errorf("a negative figure is printed:\n%s", out)
		}
		if n := strings.Count(out, " -*\n"); n != 2 {
			t.Errorf("%d overheads marked, want both:\n%s", n, out)
		}
		if want := "* not shown: the process run's workers reported 1h0m0s of compute, more than its 2 workers × 50ms"; !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	})
}
