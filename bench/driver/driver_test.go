package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

// These tests cover the statistics and the table only; nothing here times
// anything.

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{5, 5, 1, 9, 7}, 5},
	} {
		in := append([]float64(nil), tc.in...)
		if got := median(in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
		if in[0] != tc.in[0] {
			t.Errorf("median reordered its input: %v", in)
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median(nil) is not NaN")
	}
}

func TestSummarizeSkipsMissing(t *testing.T) {
	nan := math.NaN()
	s := summarize([]float64{nan, 4, 1, nan, 3})
	if s.n != 3 || s.median != 3 || s.min != 1 || s.max != 4 {
		t.Errorf("summarize = %+v, want n 3, median 3, range 1–4", s)
	}
	if e := summarize([]float64{nan}); e.n != 0 || !math.IsNaN(e.median) {
		t.Errorf("summarize of nothing = %+v", e)
	}
}

func TestRatiosPairRepetitions(t *testing.T) {
	nan := math.NaN()
	got := ratios([]float64{10, 20, nan, 8}, []float64{2, nan, 3, 0})
	if got[0] != 5 || !math.IsNaN(got[1]) || !math.IsNaN(got[2]) || !math.IsNaN(got[3]) {
		t.Errorf("ratios = %v, want [5 NaN NaN NaN]", got)
	}
}

func TestFormatting(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{formatRatio(41.234), "41.2×"},
		{formatRatio(3.456), "3.46×"},
		{formatRatio(123.4), "123×"},
		{formatRatio(0.1234), "0.123×"},
		{formatRatio(math.NaN()), "n/a"},
		{formatRange(1.5, 2.25, formatRatio), "1.50×–2.25×"},
		{formatRange(math.NaN(), 2, formatRatio), "n/a"},
		{perSecond.format(276_223), "276k/s"},
		{perSecond.format(2_612_000), "2.61M/s"},
		{perSecond.format(512), "512/s"},
		{micros.format(13.04), "13.0 µs"},
		{millis.format(1.8), "1.80 ms"},
		{mib.format(0), "0 MiB"},
		{thousands(1_000_000), "1,000,000"},
		{thousands(300), "300"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestTargets(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		t            target
		value, ratio float64
		want         string
	}{
		{target{ratioAtLeast, 40, "≥ 40×"}, 1e6, 41, "≥ 40× ✓"},
		{target{ratioAtLeast, 40, "≥ 40×"}, 1e6, 39.9, "≥ 40× ✗"},
		{target{ratioAtMost, 1.5, "≤ 1.5×"}, 20, 1.5, "≤ 1.5× ✓"},
		{target{ratioAtMost, 1.5, "≤ 1.5×"}, 20, nan, "≤ 1.5× ?"},
		{target{valueAtMost, 20, "≤ 20 ms"}, 25, 1, "≤ 20 ms ✗"},
		{target{}, 1, 1, ""},
	} {
		if got := tc.t.cell(tc.value, tc.ratio); got != tc.want {
			t.Errorf("%q.cell(%v, %v) = %q, want %q", tc.t.text, tc.value, tc.ratio, got, tc.want)
		}
	}
}

func TestCells(t *testing.T) {
	s := newSamples(3)
	for rep, v := range []float64{100, 120, 110} {
		s.put("b", rep, v)
	}
	for rep, v := range []float64{10, 10, 11} {
		s.put("a", rep, v)
	}
	s.alone["a"] = 10 // the anchor agrees with itself measured alone
	f := figure{name: "x", key: "b", unit: micros, anchorName: "raw", anchor: "a",
		target: target{ratioAtLeast, 10, "≥ 10×"}}
	got := strings.Join(f.cells(s), " | ")
	// The ratio is the median of 10, 12 and 10, the per-repetition ratios,
	// not 110/10 = 11, the ratio of the medians.
	want := "x | 110 µs | 100 µs–120 µs | raw | 10.0 µs | 10.0× | 10.0×–12.0× | ≥ 10× ✓"
	if got != want {
		t.Errorf("cells:\n got %s\nwant %s", got, want)
	}

	s.fail("c", "coordinator: unknown demo \"barrier\" (exit status 2)\nmore")
	f = figure{name: "y", key: "c", unit: micros, anchorName: "raw", anchor: "a", target: target{ratioAtMost, 1.5, "≤ 1.5×"}}
	c := f.cells(s)
	if c[1] != `n/a (coordinator: unknown demo "barrier" (exit status 2))` || c[5] != "n/a" || c[7] != "≤ 1.5× ?" {
		t.Errorf("cells of a failed figure: %q", c)
	}

	// Ratios pair repetitions: an anchor missing in rep 2 leaves two.
	s.put("e", 0, 20)
	s.put("e", 2, 44)
	c = figure{name: "w", key: "b", unit: micros, anchorName: "raw", anchor: "e"}.cells(s)
	if c[5] != "3.75×" || c[6] != "2.50×–5.00× (2 of 3 reps)" {
		t.Errorf("ratio of a figure whose anchor misses a repetition: %q, %q", c[5], c[6])
	}

	s.put("d", 0, 5)
	c = figure{name: "z", key: "d", unit: micros}.cells(s)
	if c[2] != "5.00 µs–5.00 µs (1 of 3 reps)" {
		t.Errorf("range of a figure with missing repetitions: %q", c[2])
	}
}

func TestReasonIsOneShortLine(t *testing.T) {
	r := reason(strings.Repeat("a|", 50) + "\nsecond line")
	if strings.ContainsAny(r, "|\n") || len([]rune(r)) > 70 {
		t.Errorf("reason = %q", r)
	}
}

func TestParseSummary(t *testing.T) {
	for _, out := range []string{
		// the summary as the coordinator printed it first
		"job echo: 300 tasks, size 1048576, seed 1, 2 workers\n\n" +
			"     mode  workers    wall  tasks/s   ok  failed  retries  restarts  start-up\n" +
			"  process        2  2.849s      105  300       0        0         0   53.04ms\n",
		// with the comparison table's columns
		"     mode  workers    wall  tasks/s  speedup  efficiency  overhead/task  sent  received  RSS coord.  RSS worker\n" +
			"   serial        1   1.2ms   250000     1.00        100%  -  -  -  -  -\n" +
			"  process        2  2.849s      105     0.01          1%  3ms  315MB  315MB  30MB  12MB  ← fastest\n",
	} {
		wall, perSec, err := parseSummary([]byte(out), "process")
		if err != nil || wall != 2849*time.Millisecond || perSec != 105 {
			t.Errorf("parseSummary = %v, %v, %v; want 2.849s, 105", wall, perSec, err)
		}
	}
	if _, _, err := parseSummary([]byte("nothing here\n"), "process"); err == nil {
		t.Error("parseSummary found a row in nothing")
	}
	// A line after the table that starts with the mode is not a row of it.
	noRow := "mode     workers    wall  tasks/s\nserial        1  1.2ms   250000\n\nprocess tasks per worker: #0 pid 1: 50\n"
	if _, _, err := parseSummary([]byte(noRow), "process"); err == nil || !strings.Contains(err.Error(), "no process row") {
		t.Errorf("parseSummary of a table without a process row: %v; want no process row", err)
	}
}

func TestParseBarrierReport(t *testing.T) {
	keys := barrierKeys("b")
	got, err := parseBarrierReport([]byte(`{"schema":"brine.report/v1","barrier":{"kind":"barrier","workers":2,
		"rounds":200,"latency_us":{"median":41.5,"p99":90},"skew_us":{"median":12,"p99":30.5},
		"round_records":[{"round":0,"latency_us":40,"skew_us":11}]}}`), keys)
	if err != nil || got["b.lat_med"] != 41.5 || got["b.lat_p99"] != 90 || got["b.skew_med"] != 12 || got["b.skew_p99"] != 30.5 {
		t.Errorf("parseBarrierReport = %v, %v", got, err)
	}
	if _, err := parseBarrierReport([]byte(`{"runs":[]}`), keys); err == nil {
		t.Error("parseBarrierReport accepted a report without barrier figures")
	}
}

// A run's RESULTS.md keeps the design measurements of the one it replaces.
func TestKeptSection(t *testing.T) {
	old := []byte("# Results\n\nold table\n\n## Design measurements\n\n### Window\nfigures\n")
	if got := string(keptSection(old)); got != "\n## Design measurements\n\n### Window\nfigures\n" {
		t.Errorf("kept %q", got)
	}
	if got := keptSection([]byte("# Results\nno such section\n")); got != nil {
		t.Errorf("kept %q from a file without the section", got)
	}
}
