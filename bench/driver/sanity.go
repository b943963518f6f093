package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// A ratio target is only as good as its anchor. On a shared machine an
// anchor can run several times slower in one run than in the next (a past
// RESULTS.md met a target only because its Python anchors ran slow:
// bench/RESULTS.md, "Design measurements": Anchor limit), so before a
// target is judged its anchor must have held still across the repetitions
// and agree with a re-measure of it run alone at the end.

// anchorLimit is how far, as a factor, an anchor may move before the
// targets resting on it are not judged: across repetitions (max/min), and
// between its median and its quiet re-measure.
const anchorLimit = 2.0

var anchorLimitText = fmt.Sprintf("%g×", anchorLimit)

// anchorCheck is the sanity check of one anchor.
type anchorCheck struct {
	reps   spread  // the anchor's values across the repetitions
	varied float64 // reps.max / reps.min
	quiet  float64 // measured alone after the repetitions; NaN if not
	apart  float64 // the larger of reps.median and quiet over the smaller; NaN without quiet
	short  string  // for a table cell: why targets on it are not judged; "" if they are
	why    string  // the same with its figures, for the verdicts
}

// factor is the larger of a and b over the smaller; +Inf if either is not
// positive, as a figure that is zero or negative cannot be trusted.
func factor(a, b float64) float64 {
	lo, hi := min(a, b), max(a, b)
	if lo <= 0 {
		return math.Inf(1)
	}
	return hi / lo
}

// checkAnchor decides whether targets resting on an anchor may be judged,
// from its values in the repetitions (NaN where missing) and its quiet
// re-measure (NaN where missing, quietWhy saying why). An anchor without a
// value in any repetition passes: its ratios are n/a and its targets "?".
func checkAnchor(reps []float64, quiet float64, quietWhy string, u unit) anchorCheck {
	c := anchorCheck{reps: summarize(reps), quiet: quiet, varied: math.NaN(), apart: math.NaN()}
	if c.reps.n == 0 {
		return c
	}
	c.varied = factor(c.reps.min, c.reps.max)
	var short, why []string
	if c.varied > anchorLimit {
		short = append(short, "anchor spread "+formatRatio(c.varied))
		why = append(why, fmt.Sprintf("the anchor varied %s across %d repetitions (%s–%s), over the %s allowed",
			formatRatio(c.varied), c.reps.n, u.format(c.reps.min), u.format(c.reps.max), anchorLimitText))
	}
	if math.IsNaN(quiet) {
		if quietWhy == "" {
			quietWhy = "not measured"
		}
		short = append(short, "no quiet re-measure")
		why = append(why, "the anchor has no quiet re-measure to compare with: "+reason(quietWhy))
	} else if c.apart = factor(c.reps.median, quiet); c.apart > anchorLimit {
		short = append(short, "anchor "+formatRatio(c.apart)+" off its quiet re-measure")
		why = append(why, fmt.Sprintf("the anchor's median, %s, is %s off its quiet re-measure, %s, over the %s allowed",
			u.format(c.reps.median), formatRatio(c.apart), u.format(quiet), anchorLimitText))
	}
	c.short, c.why = strings.Join(short, ", "), strings.Join(why, "; ")
	return c
}

// check is the sanity check of f's anchor, or the zero anchorCheck (which
// passes) when f has no ratio target.
func (f figure) check(s *samples) anchorCheck {
	if f.anchor == "" || (f.target.kind != ratioAtLeast && f.target.kind != ratioAtMost) {
		return anchorCheck{}
	}
	return checkAnchor(s.vals[f.anchor], s.quiet(f.anchor), s.aloneWhy[f.anchor], f.unit)
}

// anchorRef names an anchor that a ratio target rests on.
type anchorRef struct {
	key, name string
	unit      unit
}

// checkedAnchors lists, once each and in table order, the anchors of the
// ratio targets: the ones re-measured alone and checked.
func checkedAnchors(sections []section) []anchorRef {
	var refs []anchorRef
	seen := map[string]bool{}
	for _, sec := range sections {
		for _, f := range sec.figures {
			if f.anchor == "" || seen[f.anchor] || (f.target.kind != ratioAtLeast && f.target.kind != ratioAtMost) {
				continue
			}
			seen[f.anchor] = true
			refs = append(refs, anchorRef{f.anchor, f.anchorName, f.unit})
		}
	}
	return refs
}

var anchorHeader = []string{"anchor", "median", "range", "spread (max/min)", "alone", "median / alone", "CPU pressure alone", "verdict"}

// anchorCells is one row of the anchor checks.
func anchorCells(a anchorRef, s *samples) []string {
	c := checkAnchor(s.vals[a.key], s.quiet(a.key), s.aloneWhy[a.key], a.unit)
	row := []string{a.name, a.unit.format(c.reps.median), formatRange(c.reps.min, c.reps.max, a.unit.format),
		formatRatio(c.varied), a.unit.format(c.quiet), formatRatio(c.reps.median / c.quiet), "n/a", "trusted"}
	if math.IsNaN(c.quiet) {
		row[4] = "n/a (" + reason(s.aloneWhy[a.key]) + ")"
	}
	if p, ok := s.alonePSI[a.key]; ok {
		row[6] = percent(p)
	}
	switch {
	case c.reps.n == 0:
		row[7] = "no figures"
	case c.short != "":
		row[7] = "targets not judged: " + c.short
	}
	return row
}

// writeAnchorChecks prints the anchor checks as aligned columns, or as a
// Markdown table.
func writeAnchorChecks(w io.Writer, sections []section, s *samples, markdown bool) error {
	refs := checkedAnchors(sections)
	title := "Anchor checks, before any ratio target is judged"
	rule := fmt.Sprintf("A ratio target is judged only if its anchor varied at most %s (max/min) across the repetitions "+
		"and its median is within %s of the same anchor re-measured alone after them, nothing else of the bench running; "+
		"otherwise it is \"not judged\", and the targets below say why.", anchorLimitText, anchorLimitText)
	if markdown {
		fmt.Fprintf(w, "\n### %s\n\n%s\n\n| %s |\n|%s\n", title, rule,
			strings.Join(anchorHeader, " | "), strings.Repeat("---|", len(anchorHeader)))
		for _, a := range refs {
			fmt.Fprintf(w, "| %s |\n", strings.Join(anchorCells(a, s), " | "))
		}
		return nil
	}
	fmt.Fprintf(w, "\n%s\n  %s\n", title, rule)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  "+strings.Join(anchorHeader, "\t"))
	for _, a := range refs {
		fmt.Fprintln(tw, "  "+strings.Join(anchorCells(a, s), "\t"))
	}
	return tw.Flush()
}
