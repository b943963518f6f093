package report_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/brinehq/brine/pkg/report"
)

// withRuns replaces the report's runs by copies of its first, each with a
// mode, worker count and wall time: mode@workers=wall.
func withRuns(t *testing.T, data []byte, runs ...struct {
	mode    string
	workers int
	wall    float64
}) []byte {
	return edit(t, data, func(doc map[string]any) {
		first := run0(doc)
		var list []any
		for _, r := range runs {
			run := maps.Clone(first)
			run["mode"], run["worker_count"], run["wall_seconds"] = r.mode, r.workers, r.wall
			list = append(list, run)
		}
		doc["runs"] = list
	})
}

type runSpec = struct {
	mode    string
	workers int
	wall    float64
}

// Each requirement is a check of its own, named after it and worth its
// points; the speedups are recomputed from the runs, against serial.
func TestGradeRequire(t *testing.T) {
	lesson := withRuns(t, base(t, "hash"),
		runSpec{"serial", 1, 1.0}, runSpec{"thread-gil", 2, 0.95}, runSpec{"process", 2, 0.5})
	exp, err := report.ReadExpected("want.json", []byte(`{"require": [
		{"mode": "process"},
		{"mode": "process", "workers": 2, "min_speedup": 1.6, "points": 2},
		{"mode": "thread-gil", "max_speedup": 1.2, "points": 3},
		{"mode": "thread-gil", "min_speedup": 1.5},
		{"mode": "thread+wire"},
		{"mode": "process", "workers": 4, "min_speedup": 1}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	g := report.Grade("r.json", lesson, exp)
	names := slices.Concat(allChecks, []string{"mode:process", "speedup:process@2>=1.6", "speedup:thread-gil<=1.2",
		"speedup:thread-gil>=1.5", "mode:thread+wire", "speedup:process@4>=1"})
	expectChecks(t, g, names, map[string]string{
		"speedup:thread-gil>=1.5": "thread-gil at 2 workers: speedup 1.05 against serial, required at least 1.5",
		"mode:thread+wire":        "the report has no run of thread+wire at 2 workers (its runs: serial at 1, thread-gil at 2, process at 2)",
		"speedup:process@4>=1":    "the report has no run of process at 4 workers",
	})
	got, of := g.Score()
	if want := float64(len(allChecks)) + 1 + 2 + 3; got != want || of != want+3 {
		t.Errorf("score %v of %v, want %v of %v", got, of, want, want+3)
	}
	for _, c := range g.Checks {
		if c.Name == "speedup:process@2>=1.6" && c.String() != "PASS speedup:process@2>=1.6 (2 points): process at 2 workers: speedup 2.00 against serial, required at least 1.6" {
			t.Errorf("check printed as %q", c)
		}
	}

	// The CI formats carry each requirement with its points.
	var gs bytes.Buffer
	if err := g.WriteGradescope(&gs); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Score float64 `json:"score"`
		Tests []struct {
			Name     string  `json:"name"`
			Score    float64 `json:"score"`
			MaxScore float64 `json:"max_score"`
		} `json:"tests"`
	}
	if err := json.Unmarshal(gs.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	worth := map[string][2]float64{"speedup:process@2>=1.6": {2, 2}, "speedup:thread-gil<=1.2": {3, 3}, "speedup:thread-gil>=1.5": {0, 1}}
	for _, tc := range res.Tests {
		if w, ok := worth[tc.Name]; ok && (tc.Score != w[0] || tc.MaxScore != w[1]) {
			t.Errorf("gradescope %s: %v of %v, want %v of %v", tc.Name, tc.Score, tc.MaxScore, w[0], w[1])
		}
	}
	if res.Score != got {
		t.Errorf("gradescope score %v, want %v", res.Score, got)
	}
	var junit bytes.Buffer
	if err := g.WriteJUnit(&junit); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<testcase name="speedup:thread-gil&gt;=1.5" classname="brine.grade"`,
		`<failure message="thread-gil at 2 workers: speedup 1.05 against serial, required at least 1.5" type="FAIL">`,
		`<property name="points" value="`} {
		if !strings.Contains(junit.String(), want) {
			t.Errorf("JUnit lacks %s:\n%s", want, junit.String())
		}
	}
}

// A speedup needs a serial run to be measured against; repeated runs are
// judged by their median, and the detail gives their spread.
func TestGradeRequireBaseline(t *testing.T) {
	exp, err := report.ReadExpected("want.json", []byte(`{"require": [{"mode": "process", "min_speedup": 1.6}]}`))
	if err != nil {
		t.Fatal(err)
	}
	noSerial := withRuns(t, base(t, "hash"), runSpec{"thread", 2, 0.5}, runSpec{"process", 2, 0.3})
	expectChecks(t, report.Grade("r.json", noSerial, exp), append(slices.Clone(allChecks), "speedup:process>=1.6"),
		map[string]string{"speedup:process>=1.6": "no serial run to measure the speedup of process at 2 workers against"})

	repeated := edit(t, withRuns(t, base(t, "hash"),
		runSpec{"serial", 1, 1}, runSpec{"process", 2, 0.5}, runSpec{"serial", 1, 1}, runSpec{"process", 2, 0.8},
		runSpec{"serial", 1, 1}, runSpec{"process", 2, 0.55}), func(doc map[string]any) {
		for i, r := range doc["runs"].([]any) {
			r.(map[string]any)["repeat"] = i/2 + 1
		}
	})
	g := report.Grade("r.json", repeated, exp)
	expectChecks(t, g, append(slices.Clone(allChecks), "speedup:process>=1.6"), nil)
	if d := g.Checks[len(g.Checks)-1].Detail; !strings.Contains(d, "speedup 1.82 against serial (the median of 3 runs, 1.25-2.00)") {
		t.Errorf("detail %q: want the median and spread of the three runs", d)
	}
}

// A report of repeated runs names each mode once in its run-digests line.
func TestRunDigestsRepeated(t *testing.T) {
	data := withRuns(t, base(t, "hash"), runSpec{"serial", 1, 1}, runSpec{"thread", 2, 0.5},
		runSpec{"serial", 1, 1}, runSpec{"thread", 2, 0.5})
	g := report.Grade("r.json", data, nil)
	for _, c := range g.Checks {
		if c.Name == "run-digests" && c.Detail != "all 4 runs (of serial, thread) have the report's digest" {
			t.Errorf("run-digests: %q", c.Detail)
		}
	}
}
