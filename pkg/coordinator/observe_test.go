package coordinator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/brinehq/brine/pkg/coordinator"
)

// lockedBuffer is a stderr that a test reads while Main writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	got chan struct{} // closed at the first write
	one sync.Once
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	defer b.one.Do(func() { close(b.got) })
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// scrape reads the metrics served at url with the Prometheus text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing %s: %v", url, err)
	}
	return families
}

// value returns the value of the family's sample whose labels are all
// those of want (a counter's or a gauge's), or of a histogram its count.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if v, ok := want[l.GetName()]; ok && v != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// TestMetricsOfALiveRun scrapes /metrics while a run goes on: the job's
// task 0 hangs until the run is interrupted, so every other task's result
// is counted while the run still has its workers.
func TestMetricsOfALiveRun(t *testing.T) {
	const tasks = 30
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &lockedBuffer{got: make(chan struct{})}
	code := make(chan int, 1)
	go func() {
		code <- coordinator.Main(ctx, []string{"-metrics", "127.0.0.1:0", "-mode", "thread", "-workers", "2",
			"-job", "fault", "-fault", "hang", "-size", "1000", "-tasks", fmt.Sprint(tasks), "-no-progress", "-log-level", "error"},
			io.Discard, stderr)
	}()
	<-stderr.got
	m := regexp.MustCompile(`serving metrics at (http://\S+/metrics)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no metrics address on stderr:\n%s", stderr.String())
	}
	url := m[1]
	thread := map[string]string{"mode": "thread"}
	var fams map[string]*dto.MetricFamily
	for {
		fams = scrape(t, url)
		if ok, _ := value(fams, "brine_tasks_completed_total", map[string]string{"mode": "thread", "status": "ok"}); ok == tasks-1 {
			break
		}
		select {
		case c := <-code:
			t.Fatalf("the run ended (status %d) before its results were scraped:\n%s", c, stderr.String())
		case <-time.After(10 * time.Millisecond): // scrape again, as a scraper would
		}
	}
	if n, _ := value(fams, "brine_workers", thread); n != 2 {
		t.Errorf("brine_workers{mode=thread} = %v during the run, want 2", n)
	}
	if n, _ := value(fams, "brine_task_duration_seconds", thread); n != tasks-1 {
		t.Errorf("brine_task_duration_seconds{mode=thread} counts %v tasks, want %d", n, tasks-1)
	}
	for _, name := range []string{"brine_retries_total", "brine_worker_restarts_total", "brine_bytes_sent_total", "brine_bytes_received_total"} {
		if n, ok := value(fams, name, thread); !ok || n != 0 {
			t.Errorf("%s{mode=thread} = %v (present %v), want 0", name, n, ok)
		}
	}
	if fams["go_goroutines"] == nil {
		t.Error("no go_goroutines: the Go runtime's metrics are not served")
	}
	cancel() // task 0 ends, cancelled
	if c := <-code; c != coordinator.ExitSIGINT {
		t.Errorf("exit status %d after the interruption, want %d\n%s", c, coordinator.ExitSIGINT, stderr.String())
	}
}

// traceEvent is an event of a Chrome trace.
type traceEvent struct {
	Name string         `json:"name"`
	Ph   string         `json:"ph"`
	Ts   float64        `json:"ts"`
	Dur  float64        `json:"dur"`
	PID  int            `json:"pid"`
	TID  int            `json:"tid"`
	Args map[string]any `json:"args"`
}

// TestTraceOfThreadRuns checks that every task of a thread run and of a
// thread-gil run is one complete event, on a lane per worker goroutine,
// and the two runs on process lanes of their own.
func TestTraceOfThreadRuns(t *testing.T) {
	const tasks = 40
	dir := t.TempDir()
	file := filepath.Join(dir, "run.trace.json")
	var stderr bytes.Buffer
	code := coordinator.Main(context.Background(), []string{"-trace", file, "-mode", "thread", "-gil", "-workers", "3",
		"-job", "primes", "-size", "2000", "-tasks", fmt.Sprint(tasks), "-no-progress"}, io.Discard, &stderr)
	if code != coordinator.ExitOK {
		t.Fatalf("exit status %d:\n%s", code, stderr.String())
	}
	var tr struct {
		TraceEvents []traceEvent `json:"traceEvents"`
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &tr); err != nil {
		t.Fatalf("%s is not JSON: %v", file, err)
	}
	type key struct{ pid, task int }
	seen := map[key]traceEvent{}
	runs := map[int]bool{} // the process lanes of task events
	for _, e := range tr.TraceEvents {
		if e.Ph != "X" || e.Args["status"] == nil {
			continue
		}
		id := int(e.Args["id"].(float64))
		if e.Name != fmt.Sprintf("task %d", id) || e.Args["status"] != "ok" || e.Args["attempt"].(float64) != 1 {
			t.Errorf("event %+v: want task %d, status ok, attempt 1", e, id)
		}
		if e.TID != int(e.Args["worker"].(float64)) || e.TID < 0 || e.TID >= 3 {
			t.Errorf("task %d on thread lane %d, not its worker's (%v of 3)", id, e.TID, e.Args["worker"])
		}
		if _, dup := seen[key{e.PID, id}]; dup {
			t.Errorf("task %d twice on lane %d", id, e.PID)
		}
		seen[key{e.PID, id}] = e
		runs[e.PID] = true
	}
	if len(runs) != 2 || len(seen) != 2*tasks {
		t.Fatalf("%d task events on %d process lanes, want %d on 2 (one per run)", len(seen), len(runs), 2*tasks)
	}
}
