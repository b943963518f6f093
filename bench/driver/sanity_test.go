package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

// The anchor checks, on made-up figures.

func TestCheckAnchor(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name      string
		reps      []float64
		quiet     float64
		quietWhy  string
		wantShort string // "" when targets on the anchor are judged
		wantWhy   []string
	}{
		{name: "steady, agrees alone", reps: []float64{26e3, 30e3, 28e3}, quiet: 29e3},
		{name: "spread of exactly 2× is allowed", reps: []float64{20e3, 40e3, 30e3}, quiet: 30e3},
		{name: "quiet exactly 2× off is allowed", reps: []float64{30e3, 30e3}, quiet: 60e3},
		{name: "missing repetitions are left out of the spread", reps: []float64{nan, 30e3, nan, 35e3}, quiet: 32e3},
		{name: "one repetition has no spread", reps: []float64{30e3}, quiet: 31e3},
		{name: "no figures: the target is already n/a", reps: []float64{nan, nan}},
		{
			name: "spread over 2×", reps: []float64{20e3, 41e3, 30e3}, quiet: 30e3,
			wantShort: "anchor spread 2.05×",
			wantWhy:   []string{"varied 2.05× across 3 repetitions (20.0k/s–41.0k/s), over the 2× allowed"},
		},
		{
			// The past failure: the anchor ran 3–6× slow throughout, with
			// no spread of its own.
			name: "slow throughout, fast alone", reps: []float64{26e3, 27e3, 26.4e3}, quiet: 80e3,
			wantShort: "anchor 3.03× off its quiet re-measure",
			wantWhy:   []string{"median, 26.4k/s, is 3.03× off its quiet re-measure, 80.0k/s"},
		},
		{
			name: "fast throughout, slow alone", reps: []float64{90e3, 91e3}, quiet: 30e3,
			wantShort: "anchor 3.02× off its quiet re-measure",
		},
		{
			name: "no quiet re-measure", reps: []float64{30e3, 31e3}, quiet: nan, quietWhy: "pool_anchor.py: killed after 3m0s",
			wantShort: "no quiet re-measure",
			wantWhy:   []string{"no quiet re-measure to compare with: pool_anchor.py: killed after 3m0s"},
		},
		{
			name: "both", reps: []float64{10e3, 30e3}, quiet: 80e3,
			wantShort: "anchor spread 3.00×, anchor 4.00× off its quiet re-measure",
			wantWhy:   []string{"varied 3.00×", "; the anchor's median, 20.0k/s, is 4.00× off"},
		},
		{name: "a zero figure cannot be trusted", reps: []float64{0, 30e3}, quiet: 30e3, wantShort: "anchor spread +Inf×"},
		{name: "nor a negative one", reps: []float64{-5, 30e3}, quiet: 15e3, wantShort: "anchor spread +Inf×"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := checkAnchor(tc.reps, tc.quiet, tc.quietWhy, perSecond)
			if c.short != tc.wantShort {
				t.Errorf("short = %q, want %q", c.short, tc.wantShort)
			}
			if (c.why == "") != (tc.wantShort == "") {
				t.Errorf("why = %q, short = %q: both or neither", c.why, c.short)
			}
			for _, w := range tc.wantWhy {
				if !strings.Contains(c.why, w) {
					t.Errorf("why = %q, want it to contain %q", c.why, w)
				}
			}
		})
	}
}

// judgedSamples holds a brine figure at 4× its anchor in every repetition,
// the anchor varying as given, and the anchor's quiet re-measure.
func judgedSamples(anchor []float64, quiet float64) *samples {
	s := newSamples(len(anchor))
	for rep, a := range anchor {
		s.put("b", rep, 4*a)
		s.put("a", rep, a)
	}
	if !math.IsNaN(quiet) {
		s.alone["a"] = quiet
	} else {
		s.aloneWhy["a"] = "skipped: interrupted"
	}
	return s
}

func TestTargetsNotJudgedOnAnUnsteadyAnchor(t *testing.T) {
	f := figure{name: "x", key: "b", unit: perSecond, anchorName: "Pool.map", anchor: "a",
		target: target{ratioAtLeast, 3, "≥ 3×"}}
	secs := []section{{"s", []figure{f}}}
	for _, tc := range []struct {
		anchor      []float64
		quiet       float64
		cell, final string
	}{
		{[]float64{1e6, 1.1e6, 1.2e6}, 1.1e6, "≥ 3× ✓", "→ ≥ 3× ✓"},
		{[]float64{0.5e6, 1.1e6, 1.2e6}, 1.1e6, "≥ 3× not judged: anchor spread 2.40×",
			"→ ≥ 3× not judged: the anchor varied 2.40× across 3 repetitions"},
		{[]float64{1e6, 1.1e6, 1.2e6}, 3e6, "≥ 3× not judged: anchor 2.73× off its quiet re-measure",
			"→ ≥ 3× not judged: the anchor's median, 1.10M/s, is 2.73× off its quiet re-measure, 3.00M/s"},
		{[]float64{1e6, 1.1e6, 1.2e6}, math.NaN(), "≥ 3× not judged: no quiet re-measure",
			"re-measure to compare with: skipped: interrupted"},
	} {
		s := judgedSamples(tc.anchor, tc.quiet)
		if got := f.cells(s)[7]; got != tc.cell {
			t.Errorf("anchor %v, alone %v: target cell %q, want %q", tc.anchor, tc.quiet, got, tc.cell)
		}
		if got := targetSummary(secs, s); len(got) != 1 || !strings.Contains(got[0], tc.final) {
			t.Errorf("anchor %v, alone %v: verdict %q, want it to contain %q", tc.anchor, tc.quiet, got, tc.final)
		}
	}

	// A target on brine's own value does not rest on its anchor.
	s := judgedSamples([]float64{1, 10}, math.NaN())
	v := figure{name: "y", key: "b", unit: millis, anchorName: "raw", anchor: "a", target: target{valueAtMost, 50, "≤ 50 ms"}}
	if got := v.cells(s)[7]; got != "≤ 50 ms ✓" {
		t.Errorf("value target on an unsteady anchor: %q, want judged", got)
	}
}

func TestCheckedAnchors(t *testing.T) {
	ratio := target{ratioAtLeast, 3, "≥ 3×"}
	secs := []section{
		{"one", []figure{
			{key: "b1", anchor: "a1", anchorName: "A1", target: ratio},
			{key: "b2", anchor: "a2", anchorName: "A2"},                                        // no target
			{key: "b3", anchor: "a3", anchorName: "A3", target: target{valueAtMost, 1, "≤ 1"}}, // not a ratio
		}},
		{"two", []figure{
			{key: "b4", anchor: "a1", anchorName: "A1", target: target{ratioAtMost, 2, "≤ 2×"}},
			{key: "b5", anchor: "a4", anchorName: "A4", target: ratio},
			{key: "b6", target: target{valueAtMost, 64, "≤ 64 MiB"}},
		}},
	}
	var got []string
	for _, a := range checkedAnchors(secs) {
		got = append(got, a.key)
	}
	if strings.Join(got, " ") != "a1 a4" {
		t.Errorf("checkedAnchors = %v, want [a1 a4]", got)
	}
}

// TestReportSaysNotJudged writes a whole report, in text and Markdown, with
// one anchor that varied 3× across the repetitions.
func TestReportSaysNotJudged(t *testing.T) {
	var c config
	c.reps = 3
	c.scale()
	s := newSamples(3)
	anchor := poolKey("trivial", "pool_default")
	for rep, a := range []float64{1e6, 3e6, 2e6} {
		s.put(echoKey(0, "auto"), rep, 4*a)
		s.put(anchor, rep, a)
	}
	s.alone[anchor], s.alonePSI[anchor] = 2e6, 12.5
	now := time.Now()
	h := &host{started: now, finished: now.Add(time.Minute), reps: make([]repInfo, 3)}
	for _, markdown := range []bool{false, true} {
		var b bytes.Buffer
		if err := writeReport(&b, c, h, s, markdown); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, want := range []string{
			"≥ 3× not judged: anchor spread 3.00×",
			"0 B automatic batching vs Pool.map default chunksize: ratio 4.00× (per rep 4.00×–4.00×) → ≥ 3× not judged: the anchor varied 3.00× across 3 repetitions (1.00M/s–3.00M/s), over the 2× allowed",
			"targets not judged: anchor spread 3.00×",
			"12.5 %",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("markdown %v: the report lacks %q:\n%s", markdown, want, out)
			}
		}
	}
}
