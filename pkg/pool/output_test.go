package pool_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

// printing is a task that prints a line to stdout and one to stderr.
var printing = task.Bind(jobs.Fault, jobs.FaultSpec{Mode: "print"})

// By default what a worker process prints reaches this process's stderr,
// with the worker's id and pid, by the time the Map that ran it returns.
func TestTaskOutputByDefault(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	// The default log writes where os.Stderr is when the pool starts, and
	// looks at os.Stderr as it writes: it is restored once the pool ended.
	stderr := os.Stderr
	os.Stderr = f
	defer func() { os.Stderr = stderr }()
	p, err := pool.New(bounded(t), pool.WithWorkers(2), pool.WithEnv(quickExit))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for round := range 10 {
		if _, err := pool.Map(bounded(t), p, printing, []int64{int64(round)}); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(f.Name())
		for _, want := range []string{
			fmt.Sprintf("fault: task %d writes to stdout", round),
			fmt.Sprintf("fault: task %d writes to stderr", round),
		} {
			line := lineWith(string(got), want)
			if line == "" || !strings.Contains(line, "worker=") || !strings.Contains(line, "pid=") {
				t.Fatalf("round %d: stderr, right after Map returned, has no line %q with the worker's id and pid:\n%s", round, want, got)
			}
		}
	}
}

func lineWith(text, s string) string {
	for line := range strings.Lines(text) {
		if strings.Contains(line, s) {
			return line
		}
	}
	return ""
}

// WithSlog sends what workers print to a *slog.Logger, with the worker's
// id and pid as attributes; zerolog.Nop() silences it.
func TestTaskOutputToSlog(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, nil))
	p := startPool(t, pool.WithWorkers(1), pool.WithSlog(l))
	if _, err := pool.Map(bounded(t), p, printing, []int64{7}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	line := lineWith(out, "fault: task 7 writes to stdout")
	var rec struct {
		Level  string
		Msg    string
		Worker int
		PID    int
		Stream string
	}
	if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Level != "INFO" || rec.PID != p.Workers()[0].PID || rec.Stream != "stdout" {
		t.Fatalf("slog record %q (%v): want INFO with the worker's pid %d and stream stdout", line, err, p.Workers()[0].PID)
	}

	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = f
	q, err := pool.New(bounded(t), pool.WithWorkers(1), pool.WithEnv(quickExit), pool.WithLogger(zerolog.Nop()))
	if err != nil {
		os.Stderr = stderr
		t.Fatal(err)
	}
	_, err = pool.Map(bounded(t), q, printing, []int64{8})
	q.Close()
	os.Stderr = stderr
	if got, _ := os.ReadFile(f.Name()); err != nil || len(got) > 0 {
		t.Fatalf("with zerolog.Nop(): %v, and stderr got %q", err, got)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}
