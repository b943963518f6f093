package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Check is the outcome of one grading check.
type Check struct {
	Name    string // stable and short: "digest", "tasks-present", ...
	Pass    bool
	Detail  string // one line: what was found
	Elapsed time.Duration
	Points  float64 // what the check is worth; 0 counts as 1
}

// Worth returns what c is worth: its Points, or 1.
func (c Check) Worth() float64 {
	if c.Points == 0 {
		return 1
	}
	return c.Points
}

// String formats c as the grader prints it: "PASS name: detail", and
// "PASS name (2 points): detail" for a check not worth 1.
func (c Check) String() string {
	verdict := "FAIL"
	if c.Pass {
		verdict = "PASS"
	}
	worth := ""
	if w := c.Worth(); w != 1 {
		worth = " (" + strconv.FormatFloat(w, 'g', -1, 64) + " points)"
	}
	return verdict + " " + c.Name + worth + ": " + c.Detail
}

// Score returns the points of the checks that passed, and of all checks.
func (g *Grading) Score() (got, of float64) {
	for _, c := range g.Checks {
		of += c.Worth()
		if c.Pass {
			got += c.Worth()
		}
	}
	return got, of
}

// Grading is the outcome of grading one report.
type Grading struct {
	Report    string  // the report's name, for messages and CI titles
	Checks    []Check // in the order they ran
	Elapsed   time.Duration
	Malformed bool    // an input was unreadable: the checks stopped early
	Parsed    *Report // the report, when it could be decoded
}

// Passed reports whether every check passed.
func (g *Grading) Passed() bool {
	for _, c := range g.Checks {
		if !c.Pass {
			return false
		}
	}
	return !g.Malformed
}

// Grade decodes the report in data, named name in messages, and checks it:
// that it is JSON ("json") and a valid brine.report/v1 report ("schema");
// that every task 0..tasks-1 has a result or is in a cancelled range
// ("tasks-present"), exactly once ("tasks-once"), results in task order
// ("results-order"), and none failed ("tasks-ok"); that the digest is the
// one its results hash to ("digest") and every run's digest equals it
// ("run-digests"); that every run accounts for all tasks ("run-counts");
// for a stopped run, that its cancelled tasks add up ("cancelled"); with
// exp, that the results are the expected ones ("expect"); for built-in jobs
// that the outputs are the known answers, recomputed here ("known-answer");
// and last, with exp, that the runs meet each of its requirements (a check
// named after it and worth its points: "speedup:process@2>=1.6"). When the
// report cannot
// be decoded, Grade stops after the failed check and sets Malformed. exp
// may be nil.
func Grade(name string, data []byte, exp *Expected) *Grading {
	start := time.Now()
	g := &Grading{Report: name}
	defer func() { g.Elapsed = time.Since(start) }()
	var doc any
	ok := g.run("json", func() (bool, string) {
		var err error
		if doc, err = ParseJSON(data); err != nil {
			return false, fmt.Sprintf("%s: %v", name, err)
		}
		return true, fmt.Sprintf("%s is one JSON document of %d bytes", name, len(data))
	})
	ok = ok && g.run("schema", func() (bool, string) {
		err := Validate(doc)
		if err == nil {
			g.Parsed, err = decodeValid(data)
		}
		if err != nil {
			return false, fmt.Sprintf("%s: %v", name, err)
		}
		return true, fmt.Sprintf("%s, valid against docs/report.schema.json", Schema)
	})
	if !ok {
		g.Malformed = true
		return g
	}
	g.gradeReport(g.Parsed, exp)
	return g
}

func (g *Grading) gradeReport(r *Report, exp *Expected) {
	ids := slices.Sorted(func(yield func(int) bool) {
		for _, res := range r.Results {
			if !yield(res.Task) {
				return
			}
		}
	})
	g.run("tasks-present", func() (bool, string) { return checkPresent(r.Tasks, ids, r.Cancelled) })
	g.run("tasks-once", func() (bool, string) { return checkOnce(r.Tasks, ids, r.Cancelled) })
	g.run("results-order", func() (bool, string) { return checkOrder(r.Results) })
	g.run("tasks-ok", func() (bool, string) { return checkOK(r.Results, r.Cancelled) })
	g.run("digest", func() (bool, string) { return checkDigest(r) })
	g.run("run-digests", func() (bool, string) { return checkRunDigests(r) })
	g.run("run-counts", func() (bool, string) { return checkRunCounts(r) })
	if stopped(r) {
		g.run("cancelled", func() (bool, string) { return checkCancelled(r) })
	}
	if exp != nil && exp.comparesResults() {
		g.run("expect", func() (bool, string) { return exp.check(r) })
	}
	if answer := knownAnswer(r); answer != nil {
		g.run("known-answer", answer)
	}
	if exp != nil {
		for _, q := range exp.Require {
			g.run(q.name(), func() (bool, string) { return q.check(r) })
			g.Checks[len(g.Checks)-1].Points = q.points()
		}
	}
}

// run runs one check, records it and returns whether it passed.
func (g *Grading) run(name string, check func() (bool, string)) bool {
	start := time.Now()
	pass, detail := check()
	g.Checks = append(g.Checks, Check{Name: name, Pass: pass, Detail: detail, Elapsed: time.Since(start)})
	return pass
}

// maxListed is how many task ids, ranges or failures a detail names.
const maxListed = 10

// span formats the ids lo to hi.
func span(lo, hi int) string {
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d-%d", lo, hi)
}

// lister collects up to maxListed items for a detail, then "...".
type lister []string

func (l *lister) add(format string, a ...any) {
	switch {
	case len(*l) < maxListed:
		*l = append(*l, fmt.Sprintf(format, a...))
	case len(*l) == maxListed:
		*l = append(*l, "...")
	}
}

func checkPresent(tasks int, sorted []int, c *Cancelled) (bool, string) {
	var missing lister
	n, next := 0, 0 // missing count; the lowest id not yet accounted for
	for _, sp := range spans(sorted, c) {
		if sp[0] >= tasks {
			break
		}
		if sp[0] > next {
			n += sp[0] - next
			missing.add("%s", span(next, sp[0]-1))
		}
		next = max(next, sp[1]+1)
	}
	if next < tasks {
		n += tasks - next
		missing.add("%s", span(next, tasks-1))
	}
	if n > 0 {
		return false, fmt.Sprintf("%d of %d tasks have no result: %s", n, tasks, strings.Join(missing, ", "))
	}
	if tasks == 0 {
		return true, "the job has no tasks"
	}
	if c != nil {
		return true, fmt.Sprintf("all %d tasks (0-%d) have a result or are listed cancelled", tasks, tasks-1)
	}
	return true, fmt.Sprintf("all %d tasks (0-%d) have a result", tasks, tasks-1)
}

func checkOnce(tasks int, sorted []int, c *Cancelled) (bool, string) {
	var problems lister
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		switch id := sorted[i]; {
		case id >= tasks:
			problems.add("task %d is beyond the job's %d tasks (0-%d)", id, tasks, tasks-1)
		case j-i > 1:
			problems.add("task %d has %d results", id, j-i)
		}
		i = j
	}
	ranges := slices.Clone(c.ranges())
	slices.SortStableFunc(ranges, func(a, b [2]int) int { return cmp.Compare(a[0], b[0]) })
	for k, rg := range ranges {
		lo, hi := rg[0], rg[1]
		if lo > hi {
			continue
		}
		if hi >= tasks {
			problems.add("cancelled tasks %s are beyond the job's %d tasks (0-%d)", span(max(lo, tasks), hi), tasks, tasks-1)
		}
		if k > 0 && lo <= ranges[k-1][1] {
			problems.add("tasks %s are in two cancelled ranges", span(lo, min(hi, ranges[k-1][1])))
		}
		at, _ := slices.BinarySearch(sorted, lo)
		if end, _ := slices.BinarySearch(sorted, hi+1); end > at {
			problems.add("task %d has a result and is listed cancelled (%d such tasks in %s)", sorted[at], end-at, span(lo, hi))
		}
	}
	if len(problems) > 0 {
		return false, strings.Join(problems, "; ")
	}
	if c != nil {
		return true, fmt.Sprintf("%d results and %d cancelled tasks, one per task", len(sorted), c.Tasks)
	}
	return true, fmt.Sprintf("%d results, one per task", len(sorted))
}

func checkOrder(results []Result) (bool, string) {
	for i := 1; i < len(results); i++ {
		if results[i].Task < results[i-1].Task {
			return false, fmt.Sprintf("result %d (task %d) comes after result %d (task %d): results must be ordered by task id",
				i, results[i].Task, i-1, results[i-1].Task)
		}
	}
	return true, "results are ordered by task id"
}

func checkOK(results []Result, c *Cancelled) (bool, string) {
	var failed lister
	n := 0
	for _, r := range results {
		if r.Status == "ok" {
			continue
		}
		n++
		failed.add("%d (%s)", r.Task, r.Status)
	}
	total := len(results)
	if c != nil && c.Tasks > 0 {
		var never lister
		for _, rg := range c.Ranges {
			never.add("%s", span(rg[0], rg[1]))
		}
		n += c.Tasks
		total += c.Tasks
		failed = append(failed, fmt.Sprintf("%d cancelled before they started (%s)", c.Tasks, strings.Join(never, ", ")))
	}
	if n > 0 {
		return false, fmt.Sprintf("%d of %d tasks failed: %s", n, total, strings.Join(failed, ", "))
	}
	return true, fmt.Sprintf("all %d results have status ok", len(results))
}

func checkDigest(r *Report) (bool, string) {
	got, err := Digest(r.Results)
	if err != nil {
		return false, err.Error()
	}
	if got != r.Digest {
		return false, fmt.Sprintf("the report says %s, but its results hash to %s", r.Digest, got)
	}
	return true, fmt.Sprintf("%s is the digest of the results", got)
}

func checkRunDigests(r *Report) (bool, string) {
	var differ, names []string
	for i, run := range r.Runs {
		names = append(names, run.Mode)
		if run.Digest != r.Digest {
			differ = append(differ, fmt.Sprintf("run %d (%s, %d workers) has digest %s", i, run.Mode, run.WorkerCount, run.Digest))
		}
	}
	if len(differ) > 0 {
		return false, fmt.Sprintf("%s; the report's is %s: the runs computed different results", strings.Join(differ, "; "), r.Digest)
	}
	if len(r.Runs) == 1 {
		return true, fmt.Sprintf("the run (%s) has the report's digest", names[0])
	}
	if modes := dedupe(names); len(modes) < len(names) { // repeated runs: name each mode once
		return true, fmt.Sprintf("all %d runs (of %s) have the report's digest", len(r.Runs), strings.Join(modes, ", "))
	}
	return true, fmt.Sprintf("all %d runs (%s) have the report's digest", len(r.Runs), strings.Join(names, ", "))
}

func checkRunCounts(r *Report) (bool, string) {
	var short []string
	for i, run := range r.Runs {
		if run.TasksOK+run.TasksFailed != r.Tasks {
			short = append(short, fmt.Sprintf("run %d (%s): %d ok + %d failed, not %d tasks",
				i, run.Mode, run.TasksOK, run.TasksFailed, r.Tasks))
		}
		if run.TasksCancelled > run.TasksFailed {
			short = append(short, fmt.Sprintf("run %d (%s): %d cancelled, more than its %d failed",
				i, run.Mode, run.TasksCancelled, run.TasksFailed))
		}
	}
	if len(short) > 0 {
		return false, strings.Join(short, "; ")
	}
	return true, fmt.Sprintf("every run accounts for all %d tasks", r.Tasks)
}

// quote renders a canonical output for a message, shortened.
func quote(canon []byte) string {
	const max = 48
	if len(canon) > max {
		return string(canon[:max]) + "..."
	}
	return string(canon)
}
