package coordinator

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/brinehq/brine/pkg/report"
)

var update = flag.Bool("update", false, "rewrite the golden tables under testdata/golden")

// lessonRun is a run of the lesson's primes job: 40 tasks, compute the
// seconds its function ran, a digest all runs share.
func lessonRun(mode string, workers, repeat int, wall, compute float64) report.Run {
	r := report.Run{Mode: mode, WorkerCount: workers, WallSeconds: wall, TasksOK: 40, Digest: "92399f8404ad5e7d",
		ThroughputPerSecond: 40 / wall, SpawnSeconds: 0.0001, Repeat: repeat,
		Cost: &report.Cost{ComputeSeconds: compute, CoordinatorPeakRSSBytes: 14 << 20}}
	if mode == modeThreadWire || mode == modeProcess {
		r.BytesToWorkers, r.BytesFromWorkers, r.EncodeSeconds, r.DecodeSeconds = 1120, 880, 0.00015, 0.00021
	}
	if mode == modeProcess {
		r.SpawnSeconds, r.WorkerPeakRSSBytes, r.WorkersPeakRSSBytes = 0.027, 5<<20+300<<10, 2*(5<<20+300<<10)
	}
	return r
}

// goldenTables are the tables the golden files under testdata/golden hold.
var goldenTables = []struct {
	name  string
	wide  bool
	sweep []int
	runs  []report.Run
}{
	{name: "lone", runs: []report.Run{lessonRun(modeProcess, 2, 0, 0.52, 1.04)}},
	{name: "start-failed", runs: []report.Run{ // the process run's workers never started
		lessonRun(modeThread, 2, 0, 0.49, 0.95),
		{Mode: modeProcess, WorkerCount: 2, TasksFailed: 40, TasksCancelled: 40, Workers: []report.Worker{},
			Digest: "e3b0c44298fc1c14", Error: "its workers could not be started: no such worker"}}},
	{name: "lesson", runs: []report.Run{ // thread beat the ideal by noise: overhead below 0, efficiency above 100%
		lessonRun(modeSerial, 1, 0, 0.95, 0.949), lessonRun(modeThread, 2, 0, 0.47, 0.93),
		lessonRun(modeThreadGIL, 2, 0, 0.93, 0.95), lessonRun(modeProcess, 2, 0, 0.525, 1.05)}},
	{name: "lesson-wide", wide: true, runs: []report.Run{
		lessonRun(modeSerial, 1, 0, 0.95, 0.949), lessonRun(modeThread, 2, 0, 0.47, 0.93),
		lessonRun(modeThreadGIL, 2, 0, 0.93, 0.95), lessonRun(modeThreadWire, 2, 0, 0.494, 0.95),
		lessonRun(modeProcess, 2, 0, 0.525, 1.05)}},
	{name: "both-repeat", runs: []report.Run{ // thread and process overlap: no fastest
		lessonRun(modeThread, 2, 1, 0.50, 0.95), lessonRun(modeProcess, 2, 1, 0.52, 1.02),
		lessonRun(modeThread, 2, 2, 0.61, 0.97), lessonRun(modeProcess, 2, 2, 0.55, 1.03),
		lessonRun(modeThread, 2, 3, 0.49, 0.95), lessonRun(modeProcess, 2, 3, 0.58, 1.05)}},
	{name: "lesson-repeat", runs: []report.Run{
		lessonRun(modeSerial, 1, 1, 0.95, 0.94), lessonRun(modeThread, 2, 1, 0.49, 0.95),
		lessonRun(modeThreadGIL, 2, 1, 0.97, 0.95), lessonRun(modeProcess, 2, 1, 0.55, 1.03),
		lessonRun(modeSerial, 1, 2, 1.02, 0.99), lessonRun(modeThread, 2, 2, 0.52, 1.00),
		lessonRun(modeThreadGIL, 2, 2, 0.94, 0.93), lessonRun(modeProcess, 2, 2, 0.54, 1.02),
		lessonRun(modeSerial, 1, 3, 0.96, 0.95), lessonRun(modeThread, 2, 3, 0.50, 0.96),
		lessonRun(modeThreadGIL, 2, 3, 1.01, 0.96), lessonRun(modeProcess, 2, 3, 0.60, 1.07)}},
}

// renderTable prints a comparison of runs and its verdict, as the summary does.
func renderTable(runs []report.Run, wide bool, sweep []int) string {
	cmp := report.Compare(runs, 2)
	cmp.Sweep = sweep
	var b strings.Builder
	printComparison(&b, cmp, runs, wide)
	for _, l := range verdict(cmp, sweep) {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// TestTablesGolden compares the tables with testdata/golden/table-*.txt;
// -update rewrites them.
func TestTablesGolden(t *testing.T) {
	for _, tc := range goldenTables {
		t.Run(tc.name, func(t *testing.T) {
			got := renderTable(tc.runs, tc.wide, tc.sweep)
			file := filepath.Join("testdata", "golden", "table-"+tc.name+".txt")
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (go test ./pkg/coordinator -run TestTablesGolden -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("table differs from %s (-update rewrites it):\ngot:\n%s\nwant:\n%s", file, got, want)
			}
		})
	}
}

// What no table may do, whatever its figures: be wider than a 100-column
// terminal (unless -wide), show a negative figure, or compare a lone run.
func TestTablesRules(t *testing.T) {
	for _, tc := range goldenTables {
		out := renderTable(tc.runs, tc.wide, tc.sweep)
		for _, line := range strings.Split(out, "\n") {
			if n := utf8.RuneCountInString(line); n > screenWidth && !(tc.wide && strings.HasPrefix(out, line)) && !tc.wide {
				t.Errorf("%s: a line of %d columns:\n%s", tc.name, n, line)
			}
		}
		if negativeCell.MatchString(out) {
			t.Errorf("%s: a negative figure:\n%s", tc.name, out)
		}
		lone := len(report.Compare(tc.runs, 2).Rows) == 1
		for _, word := range []string{"speedup", "efficiency", "fastest", "verdict"} {
			if lone && strings.Contains(out, word) {
				t.Errorf("%s: a lone run's table says %q:\n%s", tc.name, word, out)
			}
		}
		if !lone && strings.Contains(out, "serial") != strings.Contains(out, "verdict against serial") {
			t.Errorf("%s: a serial run and no verdict, or a verdict without one:\n%s", tc.name, out)
		}
	}
}

func TestBusyNote(t *testing.T) {
	for _, tc := range []struct {
		b    busy
		cpus int
		want string // in the note; "" for none
	}{
		{busy{-1, -1}, 2, ""},
		{busy{5, 4.3}, 2, ""}, // the pressure is low now; the load average trails
		{busy{10, 0.2}, 2, "programs waited for a CPU 10% of the last 10 s"},
		{busy{52.4, 1}, 2, "programs waited for a CPU 52% of the last 10 s"},
		{busy{-1, 0.99}, 2, ""},
		{busy{-1, 1}, 2, "load average 1.00 on 2 CPUs"},
		{busy{-1, 3}, 8, ""},
	} {
		note := busyNote(tc.b, tc.cpus)
		if (note != "") != (tc.want != "") || !strings.Contains(note, tc.want) {
			t.Errorf("%+v on %d CPUs: note %q, want one saying %q", tc.b, tc.cpus, note, tc.want)
		}
	}
}
