package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// check is how a target is judged.
type check int

const (
	noTarget     check = iota
	ratioAtLeast       // brine / anchor ≥ limit
	ratioAtMost        // brine / anchor ≤ limit
	valueAtMost        // brine's own median ≤ limit, in its unit
)

// target is a performance goal, judged on the median of the per-repetition
// ratios, or on brine's median for valueAtMost.
type target struct {
	kind  check
	limit float64
	text  string // as written: "≥ 40×", "≤ 20 ms"
}

// met reports whether the target holds and whether it could be judged.
func (t target) met(value, ratio float64) (ok, known bool) {
	switch t.kind {
	case ratioAtLeast:
		return ratio >= t.limit, !math.IsNaN(ratio)
	case ratioAtMost:
		return ratio <= t.limit, !math.IsNaN(ratio)
	case valueAtMost:
		return value <= t.limit, !math.IsNaN(value)
	}
	return false, false
}

func (t target) cell(value, ratio float64) string {
	if t.kind == noTarget {
		return ""
	}
	ok, known := t.met(value, ratio)
	switch {
	case !known:
		return t.text + " ?"
	case ok:
		return t.text + " ✓"
	}
	return t.text + " ✗"
}

// figure is one row: a brine figure, the anchor it is divided by, the goal.
type figure struct {
	name       string
	key        string // brine's samples
	unit       unit
	anchorName string // what the anchor is, in words
	anchor     string // the anchor's samples; "" for none
	target     target
}

// section is a titled group of rows.
type section struct {
	title   string
	figures []figure
}

var header = []string{"figure", "brine median", "range", "anchor", "anchor median", "ratio", "ratio range", "target"}

// cells computes a row: medians, ranges and ratios over the repetitions.
func (f figure) cells(s *samples) []string {
	b := summarize(s.vals[f.key])
	row := []string{f.name, f.unit.format(b.median), formatRange(b.min, b.max, f.unit.format), "", "", "", "", ""}
	switch {
	case b.n == 0:
		row[1], row[2] = "n/a ("+reason(s.why[f.key])+")", "—"
	case b.n < s.ran:
		row[2] += fmt.Sprintf(" (%d of %d reps)", b.n, s.ran)
	}
	ratio := math.NaN()
	if f.anchor != "" {
		a := summarize(s.vals[f.anchor])
		row[3], row[4] = f.anchorName, f.unit.format(a.median)
		if a.n == 0 {
			row[4] = "n/a (" + reason(s.why[f.anchor]) + ")"
		}
		// Both sides of a ratio come from one repetition, so drift between
		// repetitions cancels; a ratio of medians would mix repetitions.
		r := summarize(ratios(s.vals[f.key], s.vals[f.anchor]))
		ratio = r.median
		row[5], row[6] = formatRatio(ratio), formatRange(r.min, r.max, formatRatio)
		switch {
		case r.n == 0:
			row[6] = "—"
		case r.n < s.ran:
			row[6] += fmt.Sprintf(" (%d of %d reps)", r.n, s.ran)
		}
	}
	row[7] = f.target.cell(b.median, ratio)
	if c := f.check(s); c.short != "" {
		row[7] = f.target.text + " not judged: " + c.short
	}
	return row
}

// writeText prints the sections as aligned columns.
func writeText(w io.Writer, sections []section, s *samples) error {
	for i, sec := range sections {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, sec.title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  "+strings.Join(header, "\t"))
		for _, f := range sec.figures {
			fmt.Fprintln(tw, "  "+strings.Join(f.cells(s), "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// writeMarkdown writes the sections as Markdown tables.
func writeMarkdown(w io.Writer, sections []section, s *samples) {
	for _, sec := range sections {
		fmt.Fprintf(w, "\n### %s\n\n", sec.title)
		fmt.Fprintf(w, "| %s |\n", strings.Join(header, " | "))
		fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(header)))
		for _, f := range sec.figures {
			fmt.Fprintf(w, "| %s |\n", strings.Join(f.cells(s), " | "))
		}
	}
}

// targetSummary lists every target with its verdict, for the end of a run.
func targetSummary(sections []section, s *samples) (lines []string) {
	for _, sec := range sections {
		for _, f := range sec.figures {
			if f.target.kind == noTarget {
				continue
			}
			c := f.cells(s)
			name, ratio := f.name, "ratio "+c[5]+" (per rep "+c[6]+")"
			if f.anchor != "" {
				name += " vs " + f.anchorName
			}
			what := ratio
			if f.target.kind == valueAtMost {
				what = c[1] + " (range " + c[2] + ")"
				if f.anchor != "" {
					what += ", " + ratio
				}
			}
			verdict := c[7]
			if chk := f.check(s); chk.why != "" {
				verdict = f.target.text + " not judged: " + chk.why
			}
			lines = append(lines, fmt.Sprintf("%s: %s → %s", name, what, verdict))
		}
	}
	return lines
}
