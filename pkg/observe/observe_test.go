package observe_test

import (
	"bytes"
	"encoding/json"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/brinehq/brine/pkg/observe"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakePool is a Source whose workers and stats the test sets.
type fakePool struct {
	mu      sync.Mutex
	workers []pool.WorkerInfo
	stats   pool.Stats
}

func (f *fakePool) Workers() []pool.WorkerInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]pool.WorkerInfo, len(f.workers))
	copy(out, f.workers)
	return out
}

func (f *fakePool) Stats() pool.Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}

// observed runs three results through an observer of a process run whose
// worker 0 (pid 11) dies and is replaced by pid 12: one task succeeds, one
// succeeds on its second attempt, one fails as worker_died.
func observed(t *testing.T) (*observe.Metrics, *observe.Trace) {
	t.Helper()
	src := &fakePool{
		workers: []pool.WorkerInfo{{ID: 0, PID: 11}, {ID: 1, PID: 21}},
		stats:   pool.Stats{TaskBytes: 100, ResultBytes: 40}, // a warm-up's: left out
	}
	o := &observe.Observer{Metrics: observe.NewMetrics(), Trace: observe.NewTrace(), Poll: time.Hour}
	run := o.Start("process", src)
	run.Observe(pool.Result{Index: 0, Worker: 1, PID: 21, Attempts: 1, Compute: time.Millisecond})
	run.Observe(pool.Result{Index: 1, Worker: 1, PID: 21, Attempts: 2, Compute: 2 * time.Millisecond})
	run.Observe(pool.Result{Index: 2, Worker: 0, PID: 11, Attempts: 3,
		Err: &pool.TaskError{Kind: wire.KindWorkerDied, Message: "killed", Worker: 0, PID: 11}})
	src.mu.Lock()
	src.workers[0].PID, src.workers[0].Restarts = 12, 1
	src.stats = pool.Stats{TaskBytes: 350, ResultBytes: 120}
	src.mu.Unlock()
	run.End()
	run.End() // idempotent
	return o.Metrics, o.Trace
}

func TestMetricsCountTheRun(t *testing.T) {
	m, _ := observed(t)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m)
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
	m.BarrierRelease("process", 80*time.Microsecond)
	for _, c := range []struct {
		name, status string
		want         float64
	}{
		{"brine_tasks_completed_total", "ok", 2},
		{"brine_tasks_completed_total", wire.KindWorkerDied, 1},
		{"brine_retries_total", "", 3},
		{"brine_worker_restarts_total", "", 1},
		{"brine_bytes_sent_total", "", 250},
		{"brine_bytes_received_total", "", 80},
		{"brine_workers", "", 0},
	} {
		if got := valueOf(t, reg, c.name, c.status); got != c.want {
			t.Errorf("%s{status=%q} = %v, want %v", c.name, c.status, got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m, "brine_task_duration_seconds"); n != 1 {
		t.Errorf("%d brine_task_duration_seconds series, want 1 (mode process)", n)
	}
	if n := testutil.CollectAndCount(m, "brine_barrier_release_seconds"); n != 1 {
		t.Errorf("%d brine_barrier_release_seconds series, want 1", n)
	}
}

// valueOf returns the value of the counter or gauge name, of mode
// process and, if status is set, that status.
func valueOf(t *testing.T, reg *prometheus.Registry, name, status string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "mode" && l.GetValue() != "process" || l.GetName() == "status" && status != "" && l.GetValue() != status {
					continue metrics
				}
			}
			if m.Gauge != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no series %s{status=%q}", name, status)
	return 0
}

func TestTraceHasATaskEventPerResult(t *testing.T) {
	_, tr := observed(t)
	var buf bytes.Buffer
	if _, err := tr.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	var file struct {
		TraceEvents []struct {
			Name string         `json:"name"`
			Ph   string         `json:"ph"`
			Ts   float64        `json:"ts"`
			Dur  float64        `json:"dur"`
			PID  int            `json:"pid"`
			TID  int            `json:"tid"`
			Args map[string]any `json:"args"`
		} `json:"traceEvents"`
	}
	if err := json.Unmarshal(buf.Bytes(), &file); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, buf.String())
	}
	tasks := map[string]int{} // task name: its lane's pid
	marks := map[string]int{} // instant: its pid
	for _, e := range file.TraceEvents {
		switch {
		case e.Ph == "X" && e.Args["status"] != nil:
			tasks[e.Name] = e.PID
			if e.Dur < 0 || e.Ts < 0 {
				t.Errorf("%s at %v for %v", e.Name, e.Ts, e.Dur)
			}
		case e.Ph == "i":
			marks[e.Name] = e.PID
		}
	}
	want := map[string]int{"task 0": 21, "task 1": 21, "task 2": 11}
	if len(tasks) != len(want) {
		t.Errorf("task events %v, want %v", tasks, want)
	}
	for name, pid := range want {
		if tasks[name] != pid {
			t.Errorf("%s on lane %d, want the lane of pid %d", name, tasks[name], pid)
		}
	}
	for name, pid := range map[string]int{"worker died": 11, "worker exited": 11, "worker started": 12} {
		if got, ok := marks[name]; !ok || got != pid {
			t.Errorf("instant %q on lane %d (present %v), want pid %d's", name, got, ok, pid)
		}
	}
}

func selfPID() int { return os.Getpid() }
