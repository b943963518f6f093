package coordinator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/brinehq/brine/internal/buildtest"
	"github.com/brinehq/brine/pkg/coordinator"
	"github.com/brinehq/brine/pkg/report"
)

// runMain runs the coordinator in this process and returns its stdout; it
// fails the test unless the exit status is want.
func runMain(t *testing.T, want int, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := coordinator.Main(context.Background(), args, &stdout, &stderr); code != want {
		t.Fatalf("coordinator %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), code, want, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// runReport runs the coordinator with -report FILE and returns the report.
func runReport(t *testing.T, args ...string) (*report.Report, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "report.json")
	out := runMain(t, coordinator.ExitOK, append(args, "-no-progress", "-report", file)...)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, data)
	}
	return &rep, out
}

// checkRuns checks the structure every report of a multi-mode run has: one
// run per mode in order, each complete, with the same digest as the report,
// and a comparison with one row per run, relative to serial when it ran.
func checkRuns(t *testing.T, rep *report.Report, tasks int, modes ...string) {
	t.Helper()
	var got []string
	for _, r := range rep.Runs {
		got = append(got, r.Mode)
	}
	if !slices.Equal(got, modes) {
		t.Fatalf("runs %v, want %v", got, modes)
	}
	if len(rep.Results) != tasks || rep.Digest == "" {
		t.Fatalf("report has %d results and digest %q, want %d results and a digest", len(rep.Results), rep.Digest, tasks)
	}
	cmp := rep.Comparison
	if cmp == nil || len(cmp.Rows) != len(rep.Runs) {
		t.Fatalf("comparison %+v: want one row per run", cmp)
	}
	if !cmp.IdenticalOutputs {
		t.Errorf("comparison says the outputs differ")
	}
	if modes[0] == "serial" && cmp.Baseline != "serial" {
		t.Errorf("baseline %q, want serial", cmp.Baseline)
	}
	if cmp.Fastest < 0 || cmp.Fastest >= len(cmp.Rows) || !cmp.Rows[cmp.Fastest].Fastest {
		t.Errorf("fastest %d does not mark a row", cmp.Fastest)
	}
	for i, r := range rep.Runs {
		row := cmp.Rows[i]
		switch {
		case r.Digest != rep.Digest:
			t.Errorf("%s: digest %s, report %s", r.Mode, r.Digest, rep.Digest)
		case r.TasksOK != tasks || r.TasksFailed != 0:
			t.Errorf("%s: %d ok, %d failed, want %d ok", r.Mode, r.TasksOK, r.TasksFailed, tasks)
		case r.Cost == nil || r.Speedup <= 0 || r.Efficiency <= 0 || r.ComputeSeconds <= 0:
			t.Errorf("%s: cost %+v: want a positive speedup, efficiency and compute", r.Mode, r.Cost)
		case r.CoordinatorPeakRSSBytes <= 0:
			t.Errorf("%s: no coordinator peak RSS", r.Mode)
		case row.Run != i || row.Mode != r.Mode || row.Workers != r.WorkerCount || row.WallSeconds != r.WallSeconds ||
			row.Speedup != r.Speedup || row.BytesToWorkers != r.BytesToWorkers:
			t.Errorf("row %d %+v does not match run %+v", i, row, r)
		}
		if r.Mode == "serial" && (r.Speedup != 1 || r.WorkerCount != 1 || r.Efficiency != 1) {
			t.Errorf("serial: speedup %v, workers %d, efficiency %v; want 1, 1, 1", r.Speedup, r.WorkerCount, r.Efficiency)
		}
		serialized := r.Mode == "thread+wire" || r.Mode == "process"
		if got := r.BytesToWorkers > 0 && r.BytesFromWorkers > 0 && r.EncodeSeconds > 0 && r.DecodeSeconds > 0; got != serialized {
			t.Errorf("%s: sent %d B, received %d B, encode %vs, decode %vs: serialized=%v, want %v",
				r.Mode, r.BytesToWorkers, r.BytesFromWorkers, r.EncodeSeconds, r.DecodeSeconds, got, serialized)
		}
		if got := r.WorkerPeakRSSBytes > 0 && r.WorkersPeakRSSBytes >= r.WorkerPeakRSSBytes; got != (r.Mode == "process") {
			t.Errorf("%s: worker peak RSS %d, total %d", r.Mode, r.WorkerPeakRSSBytes, r.WorkersPeakRSSBytes)
		}
	}
}

func TestThreadModesAgree(t *testing.T) {
	rep, out := runReport(t, "-workers", "3", "-job", "primes", "-tasks", "30", "-size", "3000",
		"-mode", "serial,thread,thread+wire", "-gil")
	checkRuns(t, rep, 30, "serial", "thread", "thread-gil", "thread+wire")
	for _, want := range []string{"mode ", "speedup", "efficiency", "overhead/task", "verdict against serial",
		"outputs: identical in all 4 runs", "primes: the outputs sum to 8713"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	for _, r := range rep.Runs[1:] {
		if r.WorkerCount != 3 || r.SpawnSeconds <= 0 {
			t.Errorf("%s: %d workers, spawn %vs", r.Mode, r.WorkerCount, r.SpawnSeconds)
		}
	}
}

func TestEachModeAlone(t *testing.T) {
	var digests []string
	for _, mode := range []string{"serial", "thread", "thread-gil", "thread+wire"} {
		rep, _ := runReport(t, "-workers", "2", "-job", "hash", "-tasks", "12", "-size", "50", "-mode", mode)
		checkRuns(t, rep, 12, mode)
		if c := rep.Comparison; c.Baseline != mode || rep.Runs[0].Speedup != 1 || !c.Rows[0].Fastest {
			t.Errorf("%s alone: comparison %+v: want it its own baseline and the fastest", mode, c)
		}
		digests = append(digests, rep.Digest)
	}
	if len(slices.Compact(slices.Clone(digests))) != 1 {
		t.Errorf("digests differ between modes: %v", digests)
	}
}

func TestSweepAndPlot(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"speedup.svg", "speedup.png"} {
		plot := filepath.Join(dir, name)
		rep, out := runReport(t, "-sweep", "1,2", "-job", "sleep", "-tasks", "6", "-size", "1",
			"-mode", "serial,thread", "-gil", "-plot", plot)
		checkRuns(t, rep, 6, "serial", "thread", "thread-gil", "thread", "thread-gil")
		var counts []int
		for _, r := range rep.Runs {
			counts = append(counts, r.WorkerCount)
		}
		if !slices.Equal(counts, []int{1, 1, 1, 2, 2}) || !slices.Equal(rep.Comparison.Sweep, []int{1, 2}) || rep.Workers != 2 {
			t.Errorf("worker counts %v, sweep %v, report workers %d", counts, rep.Comparison.Sweep, rep.Workers)
		}
		data, err := os.ReadFile(plot)
		if err != nil {
			t.Fatal(err)
		}
		if magic := map[string]string{".svg": "<svg", ".png": "\x89PNG"}[filepath.Ext(name)]; !bytes.Contains(data[:min(len(data), 512)], []byte(magic)) {
			t.Errorf("%s does not look like its format: %q", name, data[:min(len(data), 40)])
		}
		if !strings.Contains(out, "speedup plot: "+plot) {
			t.Errorf("summary does not name the plot:\n%s", out)
		}
		if label := "speedup vs serial at 1 worker"; filepath.Ext(name) == ".svg" && !bytes.Contains(data, []byte(label)) {
			t.Errorf("%s: the y axis does not name its baseline, %q", name, label)
		}
	}
}

func TestModeUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-mode", "sideways"},
		{"-mode", "process", "-gil"},
		{"-sweep", "1,0"},
		{"-plot", "speedup.txt", "-mode", "thread"},
	} {
		runMain(t, coordinator.ExitUsage, args...)
	}
}

func TestWithWorkerProcesses(t *testing.T) {
	worker := filepath.Join(buildtest.Commands(t, "worker"), "worker")

	t.Run("all modes", func(t *testing.T) {
		rep, out := runReport(t, "-worker", worker, "-workers", "2", "-job", "primes", "-tasks", "40",
			"-size", "2000", "-mode", "all", "-gil")
		checkRuns(t, rep, 40, "serial", "thread", "thread-gil", "thread+wire", "process")
		proc := rep.Runs[4]
		self := os.Getpid()
		for _, w := range proc.Workers {
			if w.PID == self || w.PID == 0 {
				t.Errorf("process run worker %+v: want a pid of its own", w)
			}
		}
		if !strings.Contains(out, "outputs: identical in all 5 runs") {
			t.Errorf("summary:\n%s", out)
		}
	})

	t.Run("both modes with echo", func(t *testing.T) {
		rep, _ := runReport(t, "-worker", worker, "-workers", "2", "-job", "echo", "-tasks", "50",
			"-size", "100", "-mode", "both")
		checkRuns(t, rep, 50, "thread", "process")
		// 50 payloads of 100 bytes each way, plus framing.
		if p := rep.Runs[1]; p.BytesToWorkers < 5000 || p.BytesFromWorkers < 5000 {
			t.Errorf("process run sent %d and received %d bytes, want over 5000 each", p.BytesToWorkers, p.BytesFromWorkers)
		}
	})

	t.Run("demo shared", func(t *testing.T) {
		out := runMain(t, coordinator.ExitOK, "demo", "shared", "-worker", worker, "-workers", "3")
		for _, want := range []string{
			"counter = 3000 (3 × 1000)",
			"the coordinator's counter = 0",
			"sum of the 3 results = 3000 (3 × 1000)",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("demo shared lacks %q:\n%s", want, out)
			}
		}
		if n := strings.Count(out, "its counter = 1000\n"); n != 3 {
			t.Errorf("want 3 workers each with its counter at 1000, got %d:\n%s", n, out)
		}
	})
}
