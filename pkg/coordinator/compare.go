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
	for _, r := range cmp.Rows {
		mark := ""
		if r.Fastest {
			mark = "← fastest"
		}
		t.rows = append(t.rows, []string{r.Mode, fmt.Sprint(r.Workers), round(r.WallSeconds),
			fmt.Sprintf("%.0f", r.TasksPerSecond), fmt.Sprintf("%.2f", r.Speedup),
			fmt.Sprintf("%.0f%%", 100*r.Efficiency), round(r.OverheadPerTaskSeconds),
			bytesOrDash(r.BytesToWorkers), bytesOrDash(r.BytesFromWorkers),
			durationOrDash(r.EncodeSeconds), durationOrDash(r.DecodeSeconds),
			durationOrDash(r.SpawnSeconds), bytesOrDash(r.CoordinatorPeakRSSBytes),
			bytesOrDash(r.WorkerPeakRSSBytes), mark})
	}
	t.write(w)
	fmt.Fprintf(w, "\nspeedup = %s wall / wall; efficiency = speedup / workers;\n", cmp.Baseline)
	fmt.Fprintf(w, "overhead/task = (workers × wall − %s compute %s) / tasks\n", cmp.Baseline, round(cmp.BaselineComputeSeconds))
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
