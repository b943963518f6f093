package coordinator

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/brinehq/brine/pkg/report"
)

// printComparison prints the comparison table: one row per run, the
// fastest marked, then what the figures are relative to and whether the
// runs agree.
func printComparison(w io.Writer, cmp *report.Comparison, runs []report.Run) {
	t := table{header: []string{"mode", "workers", "wall", "tasks/s", "speedup", "efficiency",
		"overhead/task", "sent", "received", "encode", "decode", "spawn", "RSS coord.", "RSS worker", ""}}
	overheads, note := overheadCells(cmp)
	for i, r := range cmp.Rows {
		mark := ""
		if r.Fastest {
			mark = "← fastest"
		}
		t.rows = append(t.rows, []string{r.Mode, fmt.Sprint(r.Workers), round(r.WallSeconds),
			fmt.Sprintf("%.0f", r.TasksPerSecond), fmt.Sprintf("%.2f", r.Speedup),
			fmt.Sprintf("%.0f%%", 100*r.Efficiency), overheads[i],
			bytesOrDash(r.BytesToWorkers), bytesOrDash(r.BytesFromWorkers),
			durationOrDash(r.EncodeSeconds), durationOrDash(r.DecodeSeconds),
			durationOrDash(r.SpawnSeconds), bytesOrDash(r.CoordinatorPeakRSSBytes),
			bytesOrDash(r.WorkerPeakRSSBytes), mark})
	}
	t.write(w)
	fmt.Fprintf(w, "\nspeedup = %s wall / wall; efficiency = speedup / workers;\n", cmp.Baseline)
	fmt.Fprintf(w, "overhead/task = (workers × wall − %s compute %s) / tasks\n", cmp.Baseline, round(cmp.BaselineComputeSeconds))
	if note != "" {
		fmt.Fprintln(w, note)
	}
	for _, r := range runs {
		if r.TasksFailed > 0 || r.Retries > 0 || r.WorkerRestarts > 0 {
			fmt.Fprintf(w, "%s, %d workers: %d failed, %d retries, %d worker restarts\n",
				r.Mode, r.WorkerCount, r.TasksFailed, r.Retries, r.WorkerRestarts)
		}
	}
	if len(runs) < 2 || runs[0].Digest == "" {
		return
	}
	if cmp.IdenticalOutputs {
		fmt.Fprintf(w, "outputs: identical in all %d runs (digest %.12s…)\n", len(runs), runs[0].Digest)
		return
	}
	fmt.Fprintf(w, "outputs DIFFER between runs:\n")
	for _, r := range runs {
		fmt.Fprintf(w, "  %-12s %2d workers: digest %.12s…\n", r.Mode, r.WorkerCount, r.Digest)
	}
}

// overheadCells formats each row's overhead/task, and returns the footnote
// that explains a "-*", or "". The report keeps the raw figures; the table
// never shows a negative one, which reads as a cost below nothing. It is
// negative when a run's workers × wall falls short of the baseline's
// compute: either the run's tasks ran faster than the baseline's, which
// hides what the run cost, or the baseline's workers reported more compute
// than their wall time holds (a worker states its own compute time), and
// then no row's figure can be trusted.
func overheadCells(cmp *report.Comparison) (cells []string, note string) {
	base := cmp.Rows[0]
	for _, r := range cmp.Rows { // the first run of the baseline's mode, as Compare chose it
		if r.Mode == cmp.Baseline {
			base = r
			break
		}
	}
	for _, r := range cmp.Rows {
		switch {
		case base.OverheadPerTaskSeconds < 0:
			cells = append(cells, "-*")
		case r.OverheadPerTaskSeconds < 0:
			cells = append(cells, "-*")
			note = "* below zero: the run's tasks ran faster than the baseline's, which hides its overhead; the JSON report has the figure"
		default:
			cells = append(cells, round(r.OverheadPerTaskSeconds))
		}
	}
	if base.OverheadPerTaskSeconds < 0 {
		note = fmt.Sprintf("* not shown: the %s run's workers reported %s of compute, more than its %d workers × %s wall can hold; "+
			"overheads derived from it would mislead (the JSON report has the raw figures)",
			base.Mode, round(base.ComputeSeconds), max(base.Workers, 1), round(base.WallSeconds))
	}
	return cells, note
}

// table writes aligned columns: the first left-aligned, the rest
// right-aligned, as numbers read best.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) write(w io.Writer) {
	widths := make([]int, len(t.header))
	for _, row := range append([][]string{t.header}, t.rows...) {
		for i, cell := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	for _, row := range append([][]string{t.header}, t.rows...) {
		var b strings.Builder
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
			switch {
			case i == 0:
				b.WriteString(cell + pad)
			case i == len(row)-1 && cell == "":
			case i == len(row)-1 && t.header[i] == "":
				b.WriteString("  " + cell) // a trailing note, left-aligned
			default:
				b.WriteString("  " + pad + cell)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

func durationOrDash(sec float64) string {
	if sec == 0 {
		return "-"
	}
	return round(sec)
}

// bytesOrDash formats n bytes in binary units, "-" for none.
func bytesOrDash(n int64) string {
	const unit = 1024
	switch {
	case n == 0:
		return "-"
	case n < unit:
		return fmt.Sprintf("%d B", n)
	case n < unit*unit:
		return fmt.Sprintf("%.1f KiB", float64(n)/unit)
	case n < unit*unit*unit:
		return fmt.Sprintf("%.1f MiB", float64(n)/(unit*unit))
	}
	return fmt.Sprintf("%.2f GiB", float64(n)/(unit*unit*unit))
}
