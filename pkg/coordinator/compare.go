package coordinator

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/brinehq/brine/pkg/report"
)

// printComparison prints the comparison table: a row per mode and worker
// count, the fastest marked when it is faster beyond noise, then what the
// figures are relative to and whether the runs agree. The default table
// fits 100 columns; wide adds what crossing to the workers cost. A lone
// row is compared with nothing: it has no speedup, efficiency or fastest.
func printComparison(w io.Writer, cmp *report.Comparison, runs []report.Run, wide bool) {
	lone := len(cmp.Rows) == 1
	repeated := cmp.Repeats > 1
	t := table{header: []string{"mode", "workers", "wall"}}
	if repeated {
		t.header = append(t.header, "min–max")
	}
	if !lone {
		t.header = append(t.header, "speedup")
		if repeated {
			t.header = append(t.header, "min–max")
		}
		t.header = append(t.header, "efficiency", "overhead/task")
	}
	if wide || lone {
		t.header = append(t.header, "tasks/s")
	}
	if wide {
		t.header = append(t.header, "sent", "received", "encode", "decode", "spawn", "RSS coord.", "RSS worker")
	}
	t.header = append(t.header, "")
	overheads, notes := overheadCells(cmp, runs)
	efficiencies, effNote := efficiencyCells(cmp, runs)
	show := short
	if wide {
		show = round
	}
	for i, r := range cmp.Rows {
		row := []string{r.Mode, fmt.Sprint(r.Workers), measured(runs[r.Run], show(r.WallSeconds))}
		if repeated {
			row = append(row, spanOrDash(r.Repeats, r.WallMinSeconds, r.WallMaxSeconds))
		}
		if !lone {
			row = append(row, measured(runs[r.Run], fmt.Sprintf("%.2f", r.Speedup)))
			if repeated {
				row = append(row, speedupSpan(r))
			}
			row = append(row, efficiencies[i], overheads[i])
		}
		if wide || lone {
			row = append(row, measured(runs[r.Run], fmt.Sprintf("%.0f", r.TasksPerSecond)))
		}
		if wide {
			row = append(row, bytesOrDash(r.BytesToWorkers), bytesOrDash(r.BytesFromWorkers),
				durationOrDash(r.EncodeSeconds), durationOrDash(r.DecodeSeconds),
				durationOrDash(r.SpawnSeconds), bytesOrDash(r.CoordinatorPeakRSSBytes),
				bytesOrDash(r.WorkerPeakRSSBytes))
		}
		mark := ""
		if r.Fastest && cmp.FastestBeyondNoise {
			mark = "← fastest"
		}
		t.rows = append(t.rows, append(row, mark))
	}
	t.write(w)
	fmt.Fprintln(w)
	if repeated {
		fmt.Fprintf(w, "each mode ran %d times, the modes taking turns; wall is the median, min–max the spread\n", cmp.Repeats)
	}
	if lone && runs[cmp.Rows[0].Run].Error == "" {
		fmt.Fprintln(w, "one mode, compared with nothing: -mode lesson runs it beside serial, threads and threads under a GIL")
	} else if !lone {
		fmt.Fprintf(w, "speedup = %s wall / wall; efficiency = speedup / workers;\n", cmp.Baseline)
		fmt.Fprintf(w, "overhead/task = (workers × wall − %s compute %s) / tasks\n", cmp.Baseline, round(cmp.BaselineComputeSeconds))
		if effNote != "" && !slices.Contains(notes, effNote) {
			notes = append(notes, effNote)
		}
		for _, n := range notes {
			printWrapped(w, n, "")
		}
		if n := fastestNote(cmp, runs); n != "" {
			printWrapped(w, n, "")
		}
	}
	printRunProblems(w, runs)
	printDigests(w, cmp, runs)
}

// measured returns cell, or "-" for a run in which no task ran.
func measured(r report.Run, cell string) string {
	if r.Error != "" {
		return "-"
	}
	return cell
}

// printRunProblems names the runs that had failures, retries or restarts.
func printRunProblems(w io.Writer, runs []report.Run) {
	for _, r := range runs {
		if r.TasksFailed > 0 || r.Retries > 0 || r.WorkerRestarts > 0 {
			failed := r.TasksFailed - r.TasksCancelled
			fmt.Fprintf(w, "%s, %d workers: %d failed, %d cancelled, %d retries, %d worker restarts\n",
				r.Mode, r.WorkerCount, failed, r.TasksCancelled, r.Retries, r.WorkerRestarts)
		}
	}
}

// printDigests says whether the runs computed the same outputs; a run in
// which no task ran computed none.
func printDigests(w io.Writer, cmp *report.Comparison, all []report.Run) {
	var runs []report.Run
	for _, r := range all {
		if r.Error == "" {
			runs = append(runs, r)
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

// fastestNote says why no row is marked fastest though several ran: the
// rows whose wall times are within noise of the fastest's.
func fastestNote(cmp *report.Comparison, runs []report.Run) string {
	if cmp.FastestBeyondNoise || len(cmp.Rows) < 2 {
		return ""
	}
	f := cmp.Rows[cmp.Fastest]
	var ties []string
	for i, r := range cmp.Rows {
		if i != cmp.Fastest && runs[r.Run].Error == "" && !cmp.Differ(i, cmp.Fastest) {
			ties = append(ties, label(r, cmp))
		}
	}
	if len(ties) == 0 {
		return "" // no other row ran
	}
	others := strings.Join(ties, " and ")
	if len(ties) > 2 {
		others = fmt.Sprintf("%d other rows", len(ties))
	}
	if cmp.Repeats > 1 {
		return fmt.Sprintf("no fastest: %s has the least median wall, but its min–max overlaps that of %s",
			label(f, cmp), others)
	}
	return fmt.Sprintf("no fastest: %s has the least wall, but %s %s within %.0f%% of it, measured once each "+
		"(-repeat 5 measures the spread)", label(f, cmp), others, plural(len(ties), "is", "are"),
		100*report.NoiseMargin)
}

// label names a row by its mode, and by its worker count in a sweep.
func label(r report.ComparisonRow, cmp *report.Comparison) string {
	if len(cmp.Sweep) > 0 && r.Mode != modeSerial {
		return fmt.Sprintf("%s at %d", r.Mode, r.Workers)
	}
	return r.Mode
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// overheadCells formats each row's overhead/task, and returns the notes
// that explain the marked ones. The report keeps the raw figures; the table
// never shows a negative one, which reads as a cost below nothing. It is
// negative when a run's workers × wall falls short of the baseline's
// compute: the run's tasks ran faster than the baseline's, as runs of the
// same work do by a few percent on a busy machine, which hides what the run
// cost (shown ≈0); or the baseline's workers reported more compute than
// their wall time holds (a worker states its own compute time), and then no
// row's figure can be trusted.
func overheadCells(cmp *report.Comparison, runs []report.Run) (cells, notes []string) {
	base := cmp.Rows[0]
	for _, r := range cmp.Rows { // the row of the baseline's mode, as Compare chose it
		if r.Mode == cmp.Baseline {
			base = r
			break
		}
	}
	clamped := false
	for _, r := range cmp.Rows {
		switch {
		case runs[r.Run].Error != "": // no task ran: nothing was measured
			cells = append(cells, "-")
		case base.OverheadPerTaskSeconds < 0:
			cells = append(cells, "-*")
		case r.OverheadPerTaskSeconds < 0:
			cells = append(cells, "≈0")
			clamped = true
		default:
			cells = append(cells, short(r.OverheadPerTaskSeconds))
		}
	}
	if clamped {
		notes = append(notes, clampNote)
	}
	if base.OverheadPerTaskSeconds < 0 {
		notes = append(notes, fmt.Sprintf("* not shown: the %s run's workers reported %s of compute, more than its %d workers × %s wall can hold; "+
			"overheads derived from it would mislead (the JSON report has the raw figures)",
			base.Mode, round(base.ComputeSeconds), max(base.Workers, 1), round(base.WallSeconds)))
	}
	return cells, notes
}

// clampNote explains the cells marked ≈.
const clampNote = "≈: within noise: measured a little faster than the ideal, which no run can be " +
	"(efficiency over 100%, overhead below 0); the JSON report has the raw figures"

// efficiencyCells formats each row's efficiency. No run can be more than
// 100% efficient; one measured so beat the baseline by noise, and is shown
// as ≈100%.
func efficiencyCells(cmp *report.Comparison, runs []report.Run) (cells []string, note string) {
	for _, r := range cmp.Rows {
		e := measured(runs[r.Run], fmt.Sprintf("%.0f%%", 100*r.Efficiency))
		if e != "100%" && r.Efficiency > 1 {
			e = "≈100%"
			note = clampNote
		}
		cells = append(cells, e)
	}
	return cells, note
}

// table writes aligned columns: the first left-aligned, the rest
// right-aligned, as numbers read best.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) write(w io.Writer) { t.lines(w, append([][]string{t.header}, t.rows...)) }

// writeRows writes the rows without the header, aligned as write aligns them.
func (t *table) writeRows(w io.Writer) { t.lines(w, t.rows) }

func (t *table) lines(w io.Writer, rows [][]string) {
	widths := make([]int, len(t.header))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	for _, row := range rows {
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

// screenWidth is the width the coordinator's text is made to fit.
const screenWidth = 100

// printWrapped writes text in lines of at most screenWidth columns,
// breaking at spaces; lines after the first start with indent.
func printWrapped(w io.Writer, text, indent string) {
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > screenWidth:
			fmt.Fprintln(w, line)
			line = indent + word
		default:
			line += " " + word
		}
	}
	if line != "" {
		fmt.Fprintln(w, line)
	}
}

func durationOrDash(sec float64) string {
	if sec == 0 {
		return "-"
	}
	return round(sec)
}

// short formats seconds to three significant digits, in the unit that
// suits them: a measurement of a noisy machine has no more.
func short(sec float64) string {
	n, unit := inUnit(sec, sec)
	return n + unit
}

// inUnit formats sec to three significant digits in the unit that suits
// ref, and returns the unit.
func inUnit(sec, ref float64) (string, string) {
	a, _ := strconv.ParseFloat(strconv.FormatFloat(math.Abs(ref), 'g', 3, 64), 64) // 999.97µs is 1.00ms
	scale, unit := 1e9, "ns"
	switch {
	case a >= 1:
		scale, unit = 1, "s"
	case a >= 1e-3:
		scale, unit = 1e3, "ms"
	case a >= 1e-6:
		scale, unit = 1e6, "µs"
	}
	return sig3(sec * scale), unit
}

// sig3 formats x with three significant digits, never in exponent form.
func sig3(x float64) string {
	x, _ = strconv.ParseFloat(strconv.FormatFloat(x, 'g', 3, 64), 64)
	if x == 0 {
		return "0"
	}
	decimals := max(0, 2-int(math.Floor(math.Log10(math.Abs(x)))))
	return strconv.FormatFloat(x, 'f', decimals, 64)
}

// spanOrDash formats the range lo–hi of seconds in the unit of hi; "-"
// for a row measured once.
func spanOrDash(repeats int, lo, hi float64) string {
	if repeats < 2 {
		return "-"
	}
	l, _ := inUnit(lo, hi)
	h, unit := inUnit(hi, hi)
	return l + "–" + h + unit
}

// speedupSpan formats a row's range of speedups.
func speedupSpan(r report.ComparisonRow) string {
	if r.Repeats < 2 {
		return "-"
	}
	return fmt.Sprintf("%.2f–%.2f", r.SpeedupMin, r.SpeedupMax)
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
