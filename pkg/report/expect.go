package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Expected is what a grade compares a report with (coordinator grade
// -expect): another report of the same job and parameters, an expected
// digest, expected outputs by task id, or a digest and outputs together;
// and what it requires of the runs (the modes made, their speedups), each
// requirement a check of its own.
type Expected struct {
	Name    string        // the file's name, for messages
	Report  *Report       // an expected report, or nil
	Digest  string        // an expected digest, or ""
	Outputs []any         // expected outputs: Outputs[i] is task i's; nil if not given
	Require []Requirement // what the runs must show; nil if nothing
}

// comparesResults reports whether e says what the results must be, which
// the "expect" check compares.
func (e *Expected) comparesResults() bool {
	return e.Report != nil || e.Digest != "" || e.Outputs != nil
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ReadExpected decodes an expectation: a brine report (one with a "schema"
// field), or an object with any of "digest" (a SHA-256 in hex), "outputs"
// (an array) and "require" (an array of requirements: see Requirement),
// and no other field. On failure it returns an error wrapping ErrNotJSON or
// ErrInvalid.
func ReadExpected(name string, data []byte) (*Expected, error) {
	doc, err := ParseJSON(data)
	if err != nil {
		return nil, err
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: an expectation is an object, not %s", ErrInvalid, jsonKind(doc))
	}
	e := &Expected{Name: name}
	if _, ok := obj["schema"]; ok {
		e.Report, err = Decode(data)
		return e, err
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		switch v := obj[k]; k {
		case "digest":
			s, _ := v.(string)
			if !sha256Hex.MatchString(s) {
				return nil, fmt.Errorf("%w: \"digest\" must be 64 lowercase hex digits, not %.80v", ErrInvalid, v)
			}
			e.Digest = s
		case "outputs":
			if e.Outputs, ok = v.([]any); !ok {
				return nil, fmt.Errorf("%w: \"outputs\" must be an array, not %s", ErrInvalid, jsonKind(v))
			}
		case "require":
			if e.Require, err = readRequirements(v); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%w: unknown field %q: an expectation is a brine report, or has \"digest\", \"outputs\" and/or \"require\"", ErrInvalid, k)
		}
	}
	if !e.comparesResults() && len(e.Require) == 0 {
		return nil, fmt.Errorf("%w: an expectation is a brine report, or has \"digest\", \"outputs\" and/or \"require\"", ErrInvalid)
	}
	return e, nil
}

// outcome is what a result is compared on: its deterministic part.
type outcome struct {
	task   int
	status string
	output []byte // canonical
}

func outcomes(results []Result) ([]outcome, error) {
	out := make([]outcome, 0, len(results))
	for _, r := range results {
		canon, err := Canonical(r.Output)
		if err != nil {
			return nil, fmt.Errorf("task %d: %w", r.Task, err)
		}
		out = append(out, outcome{r.Task, r.Status, canon})
	}
	// Stable, so that of two results of one task the first is compared.
	slices.SortStableFunc(out, func(a, b outcome) int { return a.task - b.task })
	return slices.CompactFunc(out, func(a, b outcome) bool { return a.task == b.task }), nil
}

func (e *Expected) check(r *Report) (bool, string) {
	var problems []string
	if e.Report != nil {
		if d := paramsDiffer(r, e.Report); d != "" {
			return false, fmt.Sprintf("%s is a report of other parameters: %s", e.Name, d)
		}
		if p := e.compare(r, e.Report.Results); p != "" {
			problems = append(problems, p)
		}
	}
	if e.Outputs != nil {
		want := make([]Result, len(e.Outputs))
		for i, o := range e.Outputs {
			want[i] = Result{Task: i, Status: "ok", Output: o}
		}
		if p := e.compare(r, want); p != "" {
			problems = append(problems, p)
		}
	}
	if e.Digest != "" {
		if got, err := Digest(r.Results); err != nil || got != e.Digest {
			problems = append(problems, fmt.Sprintf("the results hash to %s, %s expects %s", got, e.Name, e.Digest))
		}
	}
	if len(problems) > 0 {
		return false, strings.Join(problems, "; ")
	}
	return true, fmt.Sprintf("the %d results are those %s expects", len(r.Results), e.Name)
}

// compare names the first task whose outcome differs from want's, and how
// many differ; "" when none does.
func (e *Expected) compare(r *Report, want []Result) string {
	got, err := outcomes(r.Results)
	if err != nil {
		return err.Error()
	}
	exp, err := outcomes(want)
	if err != nil {
		return fmt.Sprintf("%s: %v", e.Name, err)
	}
	var first string
	n := 0
	differ := func(msg string) {
		if n++; first == "" {
			first = msg
		}
	}
	i, j := 0, 0
	for i < len(got) || j < len(exp) {
		switch {
		case j == len(exp) || (i < len(got) && got[i].task < exp[j].task):
			differ(fmt.Sprintf("task %d: %s expects no such task", got[i].task, e.Name))
			i++
		case i == len(got) || exp[j].task < got[i].task:
			what := "no result"
			if r.Cancelled.Contains(exp[j].task) {
				what = "cancelled before it started"
			}
			differ(fmt.Sprintf("task %d: %s, %s expects %s", exp[j].task, what, e.Name, quote(exp[j].output)))
			j++
		default:
			g, x := got[i], exp[j]
			switch {
			case g.status != x.status:
				differ(fmt.Sprintf("task %d: status %s, %s expects %s", g.task, g.status, e.Name, x.status))
			case !bytes.Equal(g.output, x.output):
				differ(fmt.Sprintf("task %d: output %s, %s expects %s", g.task, quote(g.output), e.Name, quote(x.output)))
			}
			i, j = i+1, j+1
		}
	}
	switch n {
	case 0:
		return ""
	case 1:
		return first + " (the only difference)"
	}
	return fmt.Sprintf("%s (%d tasks differ)", first, n)
}

func paramsDiffer(r, want *Report) string {
	var d []string
	if r.Job != want.Job {
		d = append(d, fmt.Sprintf("job %s, expected %s", r.Job, want.Job))
	}
	if r.Tasks != want.Tasks {
		d = append(d, fmt.Sprintf("tasks %d, expected %d", r.Tasks, want.Tasks))
	}
	if r.Size != want.Size {
		d = append(d, fmt.Sprintf("size %d, expected %d", r.Size, want.Size))
	}
	if r.Seed != want.Seed {
		d = append(d, fmt.Sprintf("seed %d, expected %d", r.Seed, want.Seed))
	}
	if r.Fault != want.Fault {
		d = append(d, fmt.Sprintf("fault %q, expected %q", r.Fault, want.Fault))
	}
	return strings.Join(d, ", ")
}

// jsonOutput is how an output looks in a report, for messages.
func jsonOutput(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return quote(b)
}
