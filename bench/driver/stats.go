package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// samples holds every figure's value per repetition; NaN marks a repetition
// whose measurement failed or was skipped. Anchors that targets rest on are
// also measured once alone, after the repetitions (see remeasure).
type samples struct {
	reps int // repetitions planned: the length of every row
	ran  int // repetitions made
	vals map[string][]float64
	why  map[string]string // key -> why it has no value, last failure wins

	alone    map[string]float64 // key -> its quiet re-measure
	aloneWhy map[string]string  // key -> why it has none
	alonePSI map[string]float64 // key -> stalled share while it was re-measured, -1 unknown
}

func newSamples(reps int) *samples {
	return &samples{reps: reps, ran: reps, vals: map[string][]float64{}, why: map[string]string{},
		alone: map[string]float64{}, aloneWhy: map[string]string{}, alonePSI: map[string]float64{}}
}

// quiet is key's quiet re-measure, NaN if there is none.
func (s *samples) quiet(key string) float64 {
	if v, ok := s.alone[key]; ok {
		return v
	}
	return math.NaN()
}

func (s *samples) row(key string) []float64 {
	v, ok := s.vals[key]
	if !ok {
		v = make([]float64, s.reps)
		for i := range v {
			v[i] = math.NaN()
		}
		s.vals[key] = v
	}
	return v
}

func (s *samples) put(key string, rep int, v float64) { s.row(key)[rep] = v }

func (s *samples) fail(key, reason string) {
	s.row(key)
	s.why[key] = reason
}

// spread is the median and range of the values that exist.
type spread struct {
	n                int
	median, min, max float64
}

func summarize(xs []float64) spread {
	var ok []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			ok = append(ok, x)
		}
	}
	if len(ok) == 0 {
		return spread{median: math.NaN(), min: math.NaN(), max: math.NaN()}
	}
	return spread{len(ok), median(ok), slices.Min(ok), slices.Max(ok)}
}

// median of xs, the mean of the middle two for an even count (as Python's
// statistics.median); xs is not modified.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// ratios divides a by b repetition by repetition, where both exist: drift
// within one repetition hits both sides alike, so these ratios are the
// fair spread.
func ratios(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = math.NaN()
		if i < len(b) && !math.IsNaN(a[i]) && !math.IsNaN(b[i]) && b[i] != 0 {
			out[i] = a[i] / b[i]
		}
	}
	return out
}

// sig formats v with three significant digits, without exponent.
func sig(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v):
		return "n/a"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a == 0:
		return "0"
	}
	return fmt.Sprintf("%.3g", v)
}

// formatRatio writes a ratio the way the targets are written: "41.2×".
func formatRatio(r float64) string {
	if math.IsNaN(r) {
		return "n/a"
	}
	return sig(r) + "×"
}

// formatRange writes "lo–hi" with the unit's formatting, or "n/a".
func formatRange(lo, hi float64, f func(float64) string) string {
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return "n/a"
	}
	return f(lo) + "–" + f(hi)
}

// unit formats a figure's values.
type unit struct {
	name   string
	format func(float64) string
}

var (
	perSecond = unit{"tasks/s", func(v float64) string {
		switch a := math.Abs(v); {
		case a >= 1e6:
			return sig(v/1e6) + "M/s"
		case a >= 1e3:
			return sig(v/1e3) + "k/s"
		}
		return sig(v) + "/s"
	}}
	micros = unit{"µs", func(v float64) string { return sig(v) + " µs" }}
	millis = unit{"ms", func(v float64) string { return sig(v) + " ms" }}
	mbps   = unit{"MB/s", func(v float64) string { return sig(v) + " MB/s" }}
	mib    = unit{"MiB", func(v float64) string { return sig(v) + " MiB" }}
)

// reason shortens a failure for a table cell: its first line, at most 70
// runes, without the table's separators.
func reason(err string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(err), "\n")
	line = strings.NewReplacer("|", "/", "\t", " ").Replace(line)
	if r := []rune(line); len(r) > 70 {
		line = string(r[:69]) + "…"
	}
	return line
}
