package report_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/brinehq/brine/pkg/report"
)

// stoppedChecks are the checks of a report of a stopped run.
var stoppedChecks = []string{"json", "schema", "tasks-present", "tasks-once", "results-order", "tasks-ok",
	"digest", "run-digests", "run-counts", "cancelled", "known-answer"}

// stop turns the base hash report (10 tasks) into that of a run stopped
// after task 3: task 4, which a worker held, cancelled with a result, and
// tasks 5-9, never started, listed as a range.
func stop(t testing.TB, doc map[string]any) {
	t.Helper()
	held := result(doc, 4)
	held["status"], held["output"], held["attempts"] = "cancelled", nil, 1
	held["error"] = map[string]any{"kind": "cancelled", "message": "context canceled"}
	doc["results"] = results(doc)[:5]
	doc["cancelled"] = map[string]any{"tasks": 5, "ranges": []any{[]any{5, 9}}}
	run := run0(doc)
	run["tasks_ok"], run["tasks_failed"], run["tasks_cancelled"] = 4, 6, 6
	forge(t, doc)
}

func cancelled(doc map[string]any) map[string]any { return doc["cancelled"].(map[string]any) }

// The report of a stopped run lists the tasks it never started as ranges:
// the grader accounts for every task, fails tasks-ok only, and checks that
// the cancelled tasks add up. A report that gives each cancelled task a
// result, as brine wrote them before, is read as it always was.
func TestGradeStoppedRun(t *testing.T) {
	data := edit(t, base(t, "hash"), func(doc map[string]any) { stop(t, doc) })
	g := report.Grade("r.json", data, nil)
	expectChecks(t, g, stoppedChecks, map[string]string{
		"tasks-ok": "6 of 10 tasks failed: 4 (cancelled), 5 cancelled before they started (5-9)"})
	if g.Malformed || g.Parsed.Cancelled == nil || g.Parsed.Cancelled.Tasks != 5 || g.Parsed.Runs[0].TasksCancelled != 6 {
		t.Fatalf("Malformed %v, cancelled %+v", g.Malformed, g.Parsed.Cancelled)
	}
	if c := g.Parsed.Cancelled; c.Contains(4) || !c.Contains(5) || !c.Contains(9) || c.Contains(10) {
		t.Errorf("Contains is wrong for %v", c.Ranges)
	}

	old := edit(t, base(t, "hash"), func(doc map[string]any) {
		for i := 4; i < 10; i++ {
			r := result(doc, i)
			r["status"], r["output"] = "cancelled", nil
			r["error"] = map[string]any{"kind": "cancelled", "message": "context canceled"}
		}
		run0(doc)["tasks_ok"], run0(doc)["tasks_failed"] = 4, 6
		forge(t, doc)
	})
	expectChecks(t, report.Grade("old.json", old, nil), allChecks, map[string]string{
		"tasks-ok": "6 of 10 tasks failed: 4 (cancelled), 5 (cancelled)"})
}

// Cancelled ranges that leave a task out, count one twice or do not add
// up fail the checks that say so.
func TestGradeStoppedRunFaults(t *testing.T) {
	const failed = "tasks failed" // tasks-ok fails for every stopped run
	tests := []struct {
		name string
		edit func(doc map[string]any)
		fail map[string]string
	}{
		{"count differs from the ranges", func(doc map[string]any) {
			cancelled(doc)["tasks"] = 4
		}, map[string]string{"tasks-ok": failed, "cancelled": "the ranges hold 5 tasks, but cancelled.tasks says 4"}},
		{"a task left out", func(doc map[string]any) {
			cancelled(doc)["ranges"], cancelled(doc)["tasks"] = []any{[]any{6, 9}}, 4
			run0(doc)["tasks_cancelled"] = 5
		}, map[string]string{"tasks-ok": failed, "tasks-present": "1 of 10 tasks have no result: 5"}},
		{"a task with a result listed too", func(doc map[string]any) {
			cancelled(doc)["ranges"], cancelled(doc)["tasks"] = []any{[]any{4, 9}}, 6
			run0(doc)["tasks_ok"], run0(doc)["tasks_failed"], run0(doc)["tasks_cancelled"] = 3, 7, 7
		}, map[string]string{"tasks-ok": failed, "tasks-once": "task 4 has a result and is listed cancelled (1 such tasks in 4-9)"}},
		{"ranges overlap", func(doc map[string]any) {
			cancelled(doc)["ranges"], cancelled(doc)["tasks"] = []any{[]any{5, 7}, []any{7, 9}}, 6
			run0(doc)["tasks_ok"], run0(doc)["tasks_failed"], run0(doc)["tasks_cancelled"] = 3, 7, 7
		}, map[string]string{"tasks-ok": failed, "tasks-once": "tasks 7 are in two cancelled ranges",
			"cancelled": "range 1, 7-9, does not come after range 0, 5-7"}},
		{"a range beyond the job", func(doc map[string]any) {
			cancelled(doc)["ranges"], cancelled(doc)["tasks"] = []any{[]any{5, 10}}, 6
			run0(doc)["tasks_ok"], run0(doc)["tasks_failed"], run0(doc)["tasks_cancelled"] = 3, 7, 7
		}, map[string]string{"tasks-ok": failed, "tasks-once": "cancelled tasks 10 are beyond the job's 10 tasks"}},
		{"a range backwards", func(doc map[string]any) {
			cancelled(doc)["ranges"] = []any{[]any{9, 5}}
		}, map[string]string{"tasks-ok": failed, "tasks-present": "5 of 10 tasks have no result: 5-9",
			"cancelled": "range 0, 9-5, ends before it starts"}},
		{"the run counts other cancelled tasks", func(doc map[string]any) {
			run0(doc)["tasks_cancelled"] = 5
		}, map[string]string{"tasks-ok": failed, "cancelled": "1 results cancelled + 5 listed cancelled, but the run (thread) counts 5 cancelled"}},
		{"more cancelled than failed", func(doc map[string]any) {
			run0(doc)["tasks_cancelled"] = 7
		}, map[string]string{"tasks-ok": failed, "run-counts": "run 0 (thread): 7 cancelled, more than its 6 failed",
			"cancelled": "the run (thread) counts 7 cancelled"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := edit(t, base(t, "hash"), func(doc map[string]any) {
				stop(t, doc)
				tt.edit(doc)
			})
			g := report.Grade("r.json", data, nil)
			expectChecks(t, g, stoppedChecks, tt.fail)
			if g.Malformed {
				t.Error("a readable report graded as malformed")
			}
		})
	}
}

// The schema refuses a range that is not a pair of task ids.
func TestGradeStoppedRunSchema(t *testing.T) {
	data := edit(t, base(t, "hash"), func(doc map[string]any) {
		stop(t, doc)
		cancelled(doc)["ranges"] = []any{[]any{5}}
	})
	g := report.Grade("r.json", data, nil)
	if !g.Malformed || len(g.Checks) != 2 || !strings.Contains(g.Checks[1].Detail, "/cancelled/ranges/0") {
		t.Errorf("a range of one id: %v", g.Checks)
	}
}

// An expectation names a task the run never started as such.
func TestExpectNamesCancelledTasks(t *testing.T) {
	data := edit(t, base(t, "hash"), func(doc map[string]any) {
		stop(t, doc)
		doc["results"] = results(doc)[:4]
		cancelled(doc)["ranges"], cancelled(doc)["tasks"] = []any{[]any{4, 9}}, 6
		forge(t, doc)
	})
	exp, err := report.ReadExpected("golden.json", base(t, "hash"))
	if err != nil {
		t.Fatal(err)
	}
	g := report.Grade("r.json", data, exp)
	expectChecks(t, g, slices.Insert(slices.Clone(stoppedChecks), 10, "expect"), map[string]string{
		"tasks-ok": "6 of 10 tasks failed: 6 cancelled before they started (4-9)",
		"expect":   "task 4: cancelled before it started, golden.json expects"})
}
