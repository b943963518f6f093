package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Requirement is what an instructor asks of a run, beyond its results
// (the "require" list of an expectation): that a mode ran, at a worker
// count, and that its speedup against the serial run is at least
// MinSpeedup or at most MaxSpeedup. Each is one graded check, worth Points.
type Requirement struct {
	Mode string `json:"mode"`
	// Workers is the worker count of the run meant; 0 means the count the
	// report was asked for (Report.Workers), and 1 for serial.
	Workers    int      `json:"workers,omitempty"`
	MinSpeedup *float64 `json:"min_speedup,omitempty"`
	MaxSpeedup *float64 `json:"max_speedup,omitempty"`
	// Points is what the check is worth; nil counts 1.
	Points *float64 `json:"points,omitempty"`
}

// maxPoints bounds a requirement's points: a typo should not outweigh
// every other check.
const maxPoints = 1000

// readRequirements decodes the "require" list of an expectation.
func readRequirements(v any) ([]Requirement, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: \"require\" must be an array, not %s", ErrInvalid, jsonKind(v))
	}
	reqs := make([]Requirement, 0, len(list))
	for i, item := range list {
		if _, ok := item.(map[string]any); !ok {
			return nil, fmt.Errorf("%w: require[%d] must be an object, not %s", ErrInvalid, i, jsonKind(item))
		}
		raw, _ := json.Marshal(item) // from ParseJSON: always encodes
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		var q Requirement
		if err := dec.Decode(&q); err != nil {
			return nil, fmt.Errorf("%w: require[%d]: %v (a requirement has mode, and may have workers, min_speedup, max_speedup and points)", ErrInvalid, i, err)
		}
		if err := q.valid(); err != nil {
			return nil, fmt.Errorf("%w: require[%d]: %v", ErrInvalid, i, err)
		}
		reqs = append(reqs, q)
	}
	return reqs, nil
}

func (q Requirement) valid() error {
	positive := func(p *float64) bool { return p == nil || (*p > 0 && !math.IsInf(*p, 0)) }
	switch {
	case q.Mode == "":
		return fmt.Errorf("\"mode\" is missing: name a mode (serial, thread, thread-gil, thread+wire, process)")
	case q.Workers < 0:
		return fmt.Errorf("\"workers\" must be at least 1, not %d", q.Workers)
	case !positive(q.MinSpeedup) || !positive(q.MaxSpeedup):
		return fmt.Errorf("\"min_speedup\" and \"max_speedup\" must be positive")
	case q.MinSpeedup != nil && q.MaxSpeedup != nil && *q.MinSpeedup > *q.MaxSpeedup:
		return fmt.Errorf("\"min_speedup\" %v is above \"max_speedup\" %v: no run can pass", *q.MinSpeedup, *q.MaxSpeedup)
	case q.Points != nil && (*q.Points <= 0 || *q.Points > maxPoints):
		return fmt.Errorf("\"points\" must be above 0 and at most %d, not %v", maxPoints, *q.Points)
	}
	return nil
}

// name is the check's name: "mode:process@2", "speedup:process@2>=1.6",
// "speedup:thread-gil<=1.2".
func (q Requirement) name() string {
	at := q.Mode
	if q.Workers > 0 {
		at += "@" + strconv.Itoa(q.Workers)
	}
	if q.MinSpeedup == nil && q.MaxSpeedup == nil {
		return "mode:" + at
	}
	var bounds []string
	if q.MinSpeedup != nil {
		bounds = append(bounds, ">="+strconv.FormatFloat(*q.MinSpeedup, 'g', -1, 64))
	}
	if q.MaxSpeedup != nil {
		bounds = append(bounds, "<="+strconv.FormatFloat(*q.MaxSpeedup, 'g', -1, 64))
	}
	return "speedup:" + at + strings.Join(bounds, ",")
}

// points is what the check is worth.
func (q Requirement) points() float64 {
	if q.Points == nil {
		return 1
	}
	return *q.Points
}

// workers is the worker count of the run the requirement means in r.
func (q Requirement) workers(r *Report) int {
	switch {
	case q.Workers > 0:
		return q.Workers
	case q.Mode == "serial":
		return 1
	}
	return r.Workers
}

// check grades r against q. The speedups are recomputed from the runs, as
// Compare computes them; the report's own comparison is not trusted.
func (q Requirement) check(r *Report) (bool, string) {
	n := q.workers(r)
	at := fmt.Sprintf("%s at %d %s", q.Mode, n, map[bool]string{true: "worker", false: "workers"}[n == 1])
	runs := make([]Run, len(r.Runs))
	var complete, made int
	var ran []string
	for i, run := range r.Runs {
		runs[i] = run
		if run.Cost != nil {
			c := *run.Cost
			runs[i].Cost = &c // Compare writes into it
		}
		ran = append(ran, fmt.Sprintf("%s at %d", run.Mode, run.WorkerCount))
		if run.Mode == q.Mode && run.WorkerCount == n {
			made++
			if run.TasksOK == r.Tasks {
				complete++
			}
		}
	}
	switch {
	case made == 0:
		return false, fmt.Sprintf("the report has no run of %s (its runs: %s); run the job in that mode", at, strings.Join(dedupe(ran), ", "))
	case complete < made:
		return false, fmt.Sprintf("%d of the %d runs of %s did not complete all %d tasks", made-complete, made, at, r.Tasks)
	case q.MinSpeedup == nil && q.MaxSpeedup == nil:
		return true, fmt.Sprintf("%s ran, all %d tasks ok (%d %s)", at, r.Tasks, made, map[bool]string{true: "run", false: "runs"}[made == 1])
	}
	cmp := Compare(runs, r.Host.CPUs)
	if cmp.Baseline != "serial" {
		return false, fmt.Sprintf("the report has no serial run to measure the speedup of %s against: "+
			"run the job with -mode lesson, or add serial to -mode", at)
	}
	row := cmp.Rows[cmp.Row(q.Mode, n)]
	got := fmt.Sprintf("%s: speedup %.2f against serial", at, row.Speedup)
	if row.Repeats > 1 {
		got += fmt.Sprintf(" (the median of %d runs, %.2f-%.2f)", row.Repeats, row.SpeedupMin, row.SpeedupMax)
	}
	pass := true
	var want []string
	if q.MinSpeedup != nil {
		pass = pass && row.Speedup >= *q.MinSpeedup
		want = append(want, fmt.Sprintf("at least %v", *q.MinSpeedup))
	}
	if q.MaxSpeedup != nil {
		pass = pass && row.Speedup <= *q.MaxSpeedup
		want = append(want, fmt.Sprintf("at most %v", *q.MaxSpeedup))
	}
	return pass, got + ", required " + strings.Join(want, " and ")
}

// dedupe drops repeated strings, keeping the first of each.
func dedupe(ss []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
