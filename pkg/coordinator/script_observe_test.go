package coordinator_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() { scriptCmds["trace"] = cmdTrace }

// trace FILE key=value...: checks a Chrome trace that -trace wrote:
// tasks=N (N task events, ids 0..N/runs-1 once on each run's lanes),
// runs=R (R run events), pids=REPORT (the process lanes of the task events
// are the pids of the workers of REPORT's runs that ran tasks: on a loaded
// machine one worker may run them all), marks=M (at least M
// instant events, each a worker's death or replacement), releases=W (W
// barrier waits: a waiter's, from a release to its wake).
func cmdTrace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: trace FILE key=value...")
	}
	var tr struct {
		TraceEvents []traceEvent `json:"traceEvents"`
	}
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &tr); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	var tasks, runs, marks, releases []traceEvent
	for _, e := range tr.TraceEvents {
		switch {
		case e.Ph == "X" && strings.HasPrefix(e.Name, "release "):
			releases = append(releases, e)
		case e.Ph == "X" && e.Args["status"] != nil:
			tasks = append(tasks, e)
		case e.Ph == "X" && strings.HasSuffix(e.Name, " run"):
			runs = append(runs, e)
		case e.Ph == "i":
			marks = append(marks, e)
		}
	}
	for _, kv := range args[1:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "tasks":
			want, err := strconv.Atoi(v)
			ts.Check(err)
			if len(tasks) != want {
				ts.Fatalf("%d task events, want %d", len(tasks), want)
			}
			ids := map[string]bool{}
			for _, e := range tasks {
				id := fmt.Sprint(e.Args["id"])
				if e.Name != "task "+id {
					ts.Fatalf("event %q has id %s", e.Name, id)
				}
				ids[id] = true
			}
			if len(runs) > 0 && len(ids) != want/len(runs) {
				ts.Fatalf("%d distinct task ids over %d runs, want %d", len(ids), len(runs), want/len(runs))
			}
		case "runs":
			if fmt.Sprint(len(runs)) != v {
				ts.Fatalf("%d run events, want %s", len(runs), v)
			}
		case "pids":
			r := readReport(ts, v)
			var want, got []int
			for _, run := range r.Runs {
				for _, w := range run.Workers {
					if w.Tasks > 0 {
						want = append(want, w.PID)
					}
				}
			}
			for _, e := range tasks {
				if !slices.Contains(got, e.PID) {
					got = append(got, e.PID)
				}
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(want, got) {
				ts.Fatalf("task events on process lanes %v, want the pids of the workers that ran tasks %v", got, want)
			}
		case "marks":
			want, err := strconv.Atoi(v)
			ts.Check(err)
			if len(marks) < want {
				ts.Fatalf("%d instant events, want at least %d", len(marks), want)
			}
			for _, m := range marks {
				if !strings.HasPrefix(m.Name, "worker ") {
					ts.Fatalf("instant event %q: want a worker's death or replacement", m.Name)
				}
			}
		case "releases":
			if fmt.Sprint(len(releases)) != v {
				ts.Fatalf("%d barrier wait events, want %s", len(releases), v)
			}
		default:
			ts.Fatalf("trace: unknown key %q", k)
		}
	}
}
