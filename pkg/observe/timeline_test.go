package observe_test

import (
	"bytes"
	"image/png"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/observe"
	"github.com/brinehq/brine/pkg/pool"
)

// twoRuns traces a thread-gil run of two goroutine workers and a process
// run of two worker processes, four tasks each.
func twoRuns() *observe.Trace {
	tr := observe.NewTrace()
	o := &observe.Observer{Trace: tr}
	gil := o.Start("thread-gil", &fakePool{workers: []pool.WorkerInfo{{ID: 0, PID: selfPID()}, {ID: 1, PID: selfPID()}}})
	for i := range 4 {
		gil.Observe(pool.Result{Index: i, Worker: i % 2, PID: selfPID(), Attempts: 1, Compute: time.Microsecond})
	}
	gil.End()
	proc := o.Start("process", &fakePool{workers: []pool.WorkerInfo{{ID: 0, PID: 101}, {ID: 1, PID: 102}}})
	for i := range 4 {
		proc.Observe(pool.Result{Index: i, Worker: i % 2, PID: 101 + i%2, Attempts: 1, Compute: time.Microsecond})
	}
	proc.End()
	return tr
}

func TestTimelineSVGHasAPanelPerRun(t *testing.T) {
	var buf bytes.Buffer
	if err := observe.WriteTimeline(&buf, "svg", twoRuns(), "two runs"); err != nil {
		t.Fatal(err)
	}
	svg := buf.String()
	if !strings.HasPrefix(strings.TrimSpace(svg), "<?xml") || !strings.Contains(svg, "</svg>") {
		t.Fatalf("not an SVG document:\n%.300s", svg)
	}
	// Text in gonum's SVG is one <text> element per string.
	for _, want := range []string{"two runs", "thread-gil: 2 goroutines taking turns behind one lock, 4 tasks",
		"process: 2 worker processes, 4 tasks", "0 (pid 101)", "1 (pid 102)", "seconds since the run began", "a task that failed"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the SVG lacks the text %q", want)
		}
	}
	if n := len(regexp.MustCompile(`>worker<`).FindAllString(svg, -1)); n != 2 {
		t.Errorf("%d y-axes labelled worker, want 2: a panel per run", n)
	}
}

func TestTimelinePNG(t *testing.T) {
	var buf bytes.Buffer
	if err := observe.WriteTimeline(&buf, "png", twoRuns(), "two runs"); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 300 {
		t.Errorf("a %v image, too small to read", b)
	}
}

func TestTimelineOfNoRun(t *testing.T) {
	if err := observe.WriteTimeline(&bytes.Buffer{}, "svg", observe.NewTrace(), "none"); err == nil {
		t.Error("a timeline of no run was drawn")
	}
}
