package report_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/brinehq/brine/pkg/report"
)

// The base reports the grade tests alter, made once per test binary.
var (
	baseOnce    sync.Once
	baseReports map[string][]byte
)

func base(t testing.TB, job string) []byte {
	t.Helper()
	baseOnce.Do(func() {
		baseReports = map[string][]byte{}
		for _, j := range jobRuns {
			baseReports[j.name] = runReport(t, append(j.args, "-mode", "thread", "-workers", "2")...)
		}
	})
	return baseReports[job]
}

// edit applies f to the report as a generic JSON document.
func edit(t testing.TB, data []byte, f func(doc map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	f(doc)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func results(doc map[string]any) []any                { return doc["results"].([]any) }
func result(doc map[string]any, i int) map[string]any { return results(doc)[i].(map[string]any) }
func run0(doc map[string]any) map[string]any          { return doc["runs"].([]any)[0].(map[string]any) }

// forge sets the report's and its runs' digests to what its results hash
// to, as someone covering an edit would.
func forge(t testing.TB, doc map[string]any) {
	t.Helper()
	data, _ := json.Marshal(doc)
	var r report.Report
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		t.Fatal(err)
	}
	d, err := report.Digest(r.Results)
	if err != nil {
		t.Fatal(err)
	}
	doc["digest"] = d
	for _, run := range doc["runs"].([]any) {
		run.(map[string]any)["digest"] = d
	}
}

var allChecks = []string{"json", "schema", "tasks-present", "tasks-once", "results-order", "tasks-ok",
	"digest", "run-digests", "run-counts", "known-answer"}

// expectChecks checks that g ran exactly the checks named, that those in
// fail failed with a detail containing the given text, and that the others
// passed.
func expectChecks(t *testing.T, g *report.Grading, names []string, fail map[string]string) {
	t.Helper()
	var got []string
	for _, c := range g.Checks {
		got = append(got, c.Name)
		want, shouldFail := fail[c.Name]
		switch {
		case shouldFail && c.Pass:
			t.Errorf("%s passed, want a failure mentioning %q", c, want)
		case shouldFail && !strings.Contains(c.Detail, want):
			t.Errorf("%s\n  want the detail to mention %q", c, want)
		case !shouldFail && !c.Pass:
			t.Errorf("unexpected %s", c)
		}
	}
	if !slices.Equal(got, names) {
		t.Errorf("checks %v, want %v", got, names)
	}
	if t.Failed() {
		for _, c := range g.Checks {
			t.Log(c)
		}
	}
}

func TestGradeGoodReports(t *testing.T) {
	for _, j := range jobRuns {
		if j.name == "fault" {
			continue
		}
		t.Run(j.name, func(t *testing.T) {
			g := report.Grade(j.name+".json", base(t, j.name), nil)
			expectChecks(t, g, allChecks, nil)
			if !g.Passed() || g.Malformed {
				t.Error("a good report did not pass")
			}
		})
	}
}

func TestGradeFindsFaults(t *testing.T) {
	zeros := strings.Repeat("0", 64)
	tests := []struct {
		name string
		job  string
		edit func(t *testing.T, doc map[string]any)
		fail map[string]string
	}{
		{"output altered", "hash", func(t *testing.T, doc map[string]any) {
			result(doc, 3)["output"] = zeros
		}, map[string]string{"digest": "but its results hash to", "known-answer": "hash: task 3: output"}},
		{"output altered, digests forged", "hash", func(t *testing.T, doc map[string]any) {
			result(doc, 3)["output"] = zeros
			forge(t, doc)
		}, map[string]string{"known-answer": "task 3"}},
		{"task missing", "hash", func(t *testing.T, doc map[string]any) {
			doc["results"] = slices.Delete(results(doc), 4, 5)
		}, map[string]string{"tasks-present": "1 of 10 tasks have no result: 4", "digest": "hash to"}},
		{"tasks missing, as ranges", "hash", func(t *testing.T, doc map[string]any) {
			doc["results"] = slices.Concat(results(doc)[:1], results(doc)[4:5], results(doc)[6:8])
			forge(t, doc)
		}, map[string]string{"tasks-present": "6 of 10 tasks have no result: 1-3, 5, 8-9"}},
		{"task duplicated", "hash", func(t *testing.T, doc map[string]any) {
			doc["results"] = slices.Insert(results(doc), 3, results(doc)[2])
		}, map[string]string{"tasks-once": "task 2 has 2 results", "digest": "hash to"}},
		{"task beyond the job", "hash", func(t *testing.T, doc map[string]any) {
			result(doc, 9)["task"] = 10
		}, map[string]string{"tasks-present": "no result: 9", "tasks-once": "task 10 is beyond the job's 10 tasks", "digest": "hash to"}},
		{"results out of order", "hash", func(t *testing.T, doc map[string]any) {
			r := results(doc)
			r[1], r[2] = r[2], r[1]
		}, map[string]string{"results-order": "result 2 (task 1) comes after result 1 (task 2)", "digest": "hash to"}},
		{"digest wrong", "hash", func(t *testing.T, doc map[string]any) {
			doc["digest"] = zeros
		}, map[string]string{"digest": "the report says " + zeros, "run-digests": "run 0 (thread, 2 workers) has digest"}},
		{"a run's digest differs", "hash", func(t *testing.T, doc map[string]any) {
			other := map[string]any{}
			for k, v := range run0(doc) {
				other[k] = v
			}
			other["mode"], other["digest"] = "process", zeros
			doc["runs"] = append(doc["runs"].([]any), other)
		}, map[string]string{"run-digests": "run 1 (process, 2 workers) has digest " + zeros}},
		{"a run is short", "hash", func(t *testing.T, doc map[string]any) {
			run0(doc)["tasks_ok"] = 9
		}, map[string]string{"run-counts": "run 0 (thread): 9 ok + 0 failed, not 10 tasks"}},
		{"failed tasks", "fault", func(t *testing.T, doc map[string]any) {},
			map[string]string{"tasks-ok": "2 of 6 tasks failed: 0 (error), 3 (error)"}},
		{"primes count wrong", "primes", func(t *testing.T, doc map[string]any) {
			result(doc, 5)["output"] = 999
			forge(t, doc)
		}, map[string]string{"known-answer": "primes: task 5: output 999, but [5000, 6000) holds 114 primes"}},
		{"primes output not a number", "primes", func(t *testing.T, doc map[string]any) {
			result(doc, 5)["output"] = "many"
			forge(t, doc)
		}, map[string]string{"known-answer": `task 5: output "many" is not an integer`}},
		{"primes count moved", "primes", func(t *testing.T, doc map[string]any) {
			result(doc, 5)["output"], result(doc, 6)["output"] = result(doc, 6)["output"], result(doc, 5)["output"]
			forge(t, doc)
		}, map[string]string{"known-answer": "primes: task 5"}},
		{"sleep output wrong", "sleep", func(t *testing.T, doc map[string]any) {
			result(doc, 2)["output"] = 2
			forge(t, doc)
		}, map[string]string{"known-answer": "task 2: output 2, the known answer is 1"}},
		{"echo output wrong", "echo", func(t *testing.T, doc map[string]any) {
			result(doc, 4)["output"] = "AAAA"
			forge(t, doc)
		}, map[string]string{"known-answer": `echo: task 4: output "AAAA"`}},
		{"echo payload of another seed", "echo", func(t *testing.T, doc map[string]any) {
			doc["seed"] = 8
		}, map[string]string{"known-answer": "echo: task 0"}},
		{"fault output wrong", "fault", func(t *testing.T, doc map[string]any) {
			result(doc, 1)["output"] = 7
			forge(t, doc)
		}, map[string]string{"tasks-ok": "failed", "known-answer": "task 1: output 7, the known answer is 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := edit(t, base(t, tt.job), func(doc map[string]any) { tt.edit(t, doc) })
			g := report.Grade("r.json", data, nil)
			expectChecks(t, g, allChecks, tt.fail)
			if g.Passed() || g.Malformed {
				t.Errorf("Passed %v, Malformed %v: want a failed, readable grading", g.Passed(), g.Malformed)
			}
		})
	}
}

// malformed are inputs the grader must refuse with a clear message, each
// with the check that fails and what its detail says.
func malformed(t testing.TB) []struct {
	name, check, detail string
	data                []byte
} {
	good := base(t, "hash")
	sub := func(old, new string) []byte {
		if !bytes.Contains(good, []byte(old)) {
			t.Fatalf("the base report has no %q", old)
		}
		return bytes.Replace(good, []byte(old), []byte(new), 1)
	}
	return []struct {
		name, check, detail string
		data                []byte
	}{
		{"empty", "json", "the input is empty", nil},
		{"blank", "json", "the input is empty", []byte(" \n\t\n")},
		{"truncated", "json", "it ends in the middle of a value, at line", good[:len(good)/2]},
		{"not JSON", "json", "line 1, column 1: invalid character 'h'", []byte("hello, grader\n")},
		{"two documents", "json", "more data after the document, at line", slices.Concat(good, good)},
		{"too deep", "json", "exceeded max depth", bytes.Repeat([]byte("["), 20000)},
		{"an array", "schema", "the document is an array, not an object", []byte(`[{"schema": "brine.report/v1"}]`)},
		{"no schema", "schema", `it has no "schema" field`, []byte(`{"job": "hash"}`)},
		{"schema not a string", "schema", `"schema" is a number, not a string`, []byte(`{"schema": 1}`)},
		{"another version", "schema", `its schema is "brine.report/v2", and this brine reads brine.report/v1`,
			sub(`"brine.report/v1"`, `"brine.report/v2"`)},
		{"tasks a string", "schema", "at '/tasks': got string, want integer", sub(`"tasks": 10,`, `"tasks": "10",`)},
		{"tasks a fraction", "schema", "at '/tasks': got number, want integer", sub(`"tasks": 10,`, `"tasks": 10.5,`)},
		{"tasks huge", "schema", "at '/tasks': a 1000-digit number is above the maximum, 9223372036854775807",
			sub(`"tasks": 10,`, `"tasks": 1e999,`)},
		{"seed beyond int64", "schema", "at '/seed': 99999999999999999999999 is above the maximum, 9223372036854775807",
			sub(`"seed": 3,`, `"seed": 99999999999999999999999,`)},
		{"negative task id", "schema", "at '/results/0/task': -1 is below the minimum, 0", sub(`"task": 0,`, `"task": -1,`)},
		{"a float beyond float64", "schema", `field "runs.wall_seconds": number 1e999 does not fit a Go float64`,
			edit(t, good, func(doc map[string]any) { run0(doc)["wall_seconds"] = json.Number("1e999") })},
		{"output missing", "schema", "at '/results/2': missing property 'output'",
			edit(t, good, func(doc map[string]any) { delete(result(doc, 2), "output") })},
		{"results not an array", "schema", "at '/results': got object, want array",
			edit(t, good, func(doc map[string]any) { doc["results"] = map[string]any{} })},
		{"failed without error", "schema", "at '/results/1': missing property 'error'",
			edit(t, good, func(doc map[string]any) { result(doc, 1)["status"] = "panic" })},
		{"no runs", "schema", "at '/runs': minItems",
			edit(t, good, func(doc map[string]any) { doc["runs"] = []any{} })},
		{"digest not hex", "schema", "at '/digest'", sub(`"digest": "`, `"digest": "xyz`)},
		{"a key in another case", "schema", `at '/runs/0': property "Tasks_OK": names are case-sensitive, and this one is "tasks_ok"`,
			edit(t, good, func(doc map[string]any) { run0(doc)["Tasks_OK"] = 0 })},
		{"a key with a Kelvin sign", "schema", "at '': property \"tas\u212as\": names are case-sensitive, and this one is \"tasks\"",
			sub(`"tasks": 10,`, `"tasks": 10, "tas\u212as": 1,`)},
		{"bad start time", "schema", "at '/host/started'",
			edit(t, good, func(doc map[string]any) { doc["host"].(map[string]any)["started"] = "yesterday" })},
	}
}

func TestGradeMalformed(t *testing.T) {
	for _, tt := range malformed(t) {
		t.Run(tt.name, func(t *testing.T) {
			g := report.Grade("r.json", tt.data, nil)
			if !g.Malformed || g.Passed() {
				t.Errorf("Malformed %v, Passed %v: want a malformed grading", g.Malformed, g.Passed())
			}
			last := g.Checks[len(g.Checks)-1]
			if last.Pass || last.Name != tt.check || !strings.Contains(last.Detail, tt.detail) {
				t.Errorf("last check:\n  %s\nwant FAIL %s: ...%s...", last, tt.check, tt.detail)
			}
			for _, c := range g.Checks[:len(g.Checks)-1] {
				if !c.Pass {
					t.Errorf("only the last check should fail: %s", c)
				}
			}
			if len(last.Detail) > 600 {
				t.Errorf("a %d-byte detail: keep it to a line", len(last.Detail))
			}
		})
	}
}

func TestGradeExpect(t *testing.T) {
	good := base(t, "hash")
	rep, err := report.Decode(good)
	if err != nil {
		t.Fatal(err)
	}
	outputs := make([]any, len(rep.Results))
	for i, r := range rep.Results {
		outputs[i] = r.Output
	}
	asJSON := func(v any) []byte { b, _ := json.Marshal(v); return b }
	zeros := strings.Repeat("0", 64)
	tests := []struct {
		name   string
		expect []byte
		fail   string // "" when the expect check passes
	}{
		{"the same report", good, ""},
		{"a report with one output altered", edit(t, good, func(doc map[string]any) {
			result(doc, 7)["output"] = zeros
		}), "task 7: output \"" + rep.Results[7].Output.(string)[:47] + "..., want.json expects \"" + zeros[:47] + "... (the only difference)"},
		{"a report of another seed", edit(t, good, func(doc map[string]any) { doc["seed"] = 4 }),
			"want.json is a report of other parameters: seed 3, expected 4"},
		{"the digest", asJSON(map[string]any{"digest": rep.Digest}), ""},
		{"another digest", asJSON(map[string]any{"digest": zeros}), "want.json expects " + zeros},
		{"the outputs", asJSON(map[string]any{"outputs": outputs}), ""},
		{"the outputs and digest", asJSON(map[string]any{"outputs": outputs, "digest": rep.Digest}), ""},
		{"an output altered", asJSON(map[string]any{"outputs": slices.Concat(outputs[:2], []any{"x"}, outputs[3:])}),
			`task 2: output "`},
		{"fewer outputs", asJSON(map[string]any{"outputs": outputs[:9]}), "task 9: want.json expects no such task"},
		{"more outputs", asJSON(map[string]any{"outputs": append(slices.Clone(outputs), "x")}), `task 10: no result, want.json expects "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, err := report.ReadExpected("want.json", tt.expect)
			if err != nil {
				t.Fatal(err)
			}
			g := report.Grade("r.json", good, exp)
			names := slices.Insert(slices.Clone(allChecks), len(allChecks)-1, "expect")
			fail := map[string]string{}
			if tt.fail != "" {
				fail["expect"] = tt.fail
			}
			expectChecks(t, g, names, fail)
		})
	}
}

func TestReadExpectedRefuses(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{``, "empty"},
		{`[1]`, "an expectation is an object, not an array"},
		{`{}`, `has "digest", "outputs" and/or "require"`},
		{`{"require": {}}`, `"require" must be an array, not an object`},
		{`{"require": [3]}`, `require[0] must be an object, not a number`},
		{`{"require": [{"workers": 2}]}`, `require[0]: "mode" is missing`},
		{`{"require": [{"mode": "process", "speedup": 2}]}`, `require[0]: json: unknown field "speedup"`},
		{`{"require": [{"mode": "process", "min_speedup": 2, "max_speedup": 1}]}`, `"min_speedup" 2 is above "max_speedup" 1`},
		{`{"require": [{"mode": "process", "min_speedup": -1}]}`, `must be positive`},
		{`{"require": [{"mode": "process", "points": 0}]}`, `"points" must be above 0`},
		{`{"require": [{"mode": "process", "workers": "2"}]}`, `require[0]: json: cannot unmarshal string`},
		{`{"digest": "xyz"}`, `"digest" must be 64 lowercase hex digits, not xyz`},
		{`{"outputs": 3}`, `"outputs" must be an array, not a number`},
		{`{"output": []}`, `unknown field "output"`},
		{`{"schema": "brine.report/v1"}`, "missing properties"},
	} {
		if _, err := report.ReadExpected("e.json", []byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadExpected(%s) = %v, want an error mentioning %q", tt.in, err, tt.want)
		}
	}
}

// FuzzGrade checks that no input crashes the grader, and that it calls an
// input malformed exactly when Decode refuses it.
func FuzzGrade(f *testing.F) {
	for _, tt := range malformed(f) {
		f.Add(tt.data)
	}
	f.Add(base(f, "hash"))
	f.Add([]byte(`{"schema":"brine.report/v1","job":"primes","tasks":3,"size":10,"seed":1,"workers":1,` +
		`"digest":"` + strings.Repeat("a", 64) + `","results":[],"runs":[{"mode":"m","worker_count":1,"wall_seconds":0,` +
		`"spawn_seconds":0,"tasks_ok":0,"tasks_failed":0,"throughput_per_second":0,"digest":"` + strings.Repeat("a", 64) +
		`","retries":0,"worker_restarts":0,"workers":[]}],"host":{"cpus":1,"go_version":"","brine_version":"",` +
		`"hostname":"","started":"2026-01-01T00:00:00Z"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		g := report.Grade("fuzz.json", data, nil)
		_, err := report.Decode(data)
		if g.Malformed != (err != nil) {
			t.Fatalf("Malformed %v, Decode error %v", g.Malformed, err)
		}
		for _, c := range g.Checks {
			if c.Name == "" || c.Detail == "" {
				t.Fatalf("a check without a name or detail: %+v", c)
			}
		}
		_ = fmt.Sprint(g.Checks)
	})
}
