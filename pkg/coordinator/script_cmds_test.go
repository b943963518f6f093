package coordinator_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/brinehq/brine/internal/cgroup"
)

// scriptCmds are the checks the scripts under testdata/script use on the
// reports they produce.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"report":    cmdReport,
	"sameout":   cmdSameOutputs,
	"noworker":  cmdNoWorker,
	"ordered":   cmdOrdered,
	"status":    cmdStatus,
	"pidslimit": cmdPidsLimit,
	"width":     cmdWidth,
	"distinct":  cmdDistinct,
}

type scriptReport struct {
	Digest  string `json:"digest"`
	Results []struct {
		Task   int             `json:"task"`
		Status string          `json:"status"`
		Output json.RawMessage `json:"output"`
		PID    int             `json:"pid"`
	} `json:"results"`
	Runs []struct {
		Mode        string `json:"mode"`
		WarmupTasks int64  `json:"warmup_tasks"`
		Repeat      int64  `json:"repeat"`
		Workers     []struct {
			PID   int   `json:"pid"`
			Tasks int64 `json:"tasks"`
		} `json:"workers"`
	} `json:"runs"`
}

func readReport(ts *testscript.TestScript, name string) *scriptReport {
	var r scriptReport
	if err := json.Unmarshal([]byte(ts.ReadFile(name)), &r); err != nil {
		ts.Fatalf("%s: %v", name, err)
	}
	return &r
}

// report FILE key=value...: checks tasks=N (N results, ids 0..N-1, all ok),
// sum=S (integer outputs sum to S), pids=P (exactly P distinct result pids),
// worked=W (in every run, the workers' task counts add up to W),
// warmup=K (every run's warmup_tasks is K), runs=R (R runs) and repeats=N
// (the runs are numbered 1..N, as many of each).
func cmdReport(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: report FILE key=value...")
	}
	r := readReport(ts, args[0])
	var failures []string
	for _, kv := range args[1:] {
		k, v, _ := strings.Cut(kv, "=")
		want, err := strconv.ParseInt(v, 10, 64)
		ts.Check(err)
		var got int64
		switch k {
		case "tasks":
			for i, res := range r.Results {
				if res.Task != i || res.Status != "ok" {
					failures = append(failures, fmt.Sprintf("result %d: task %d status %s", i, res.Task, res.Status))
				}
			}
			got = int64(len(r.Results))
		case "sum":
			for _, res := range r.Results {
				n, err := strconv.ParseInt(string(res.Output), 10, 64)
				ts.Check(err)
				got += n
			}
		case "pids":
			var pids []int
			for _, res := range r.Results {
				if !slices.Contains(pids, res.PID) {
					pids = append(pids, res.PID)
				}
			}
			got = int64(len(pids))
		case "runs":
			got = int64(len(r.Runs))
		case "repeats":
			per := map[int64]int{}
			for _, run := range r.Runs {
				per[run.Repeat]++
				got = max(got, run.Repeat)
			}
			for k, n := range per {
				if k < 1 || k > want || n != len(r.Runs)/int(want) {
					failures = append(failures, fmt.Sprintf("repeat %d has %d of the %d runs", k, n, len(r.Runs)))
				}
			}
		case "worked", "warmup":
			for _, run := range r.Runs {
				got = run.WarmupTasks
				if k == "worked" {
					got = 0
					for _, w := range run.Workers {
						got += w.Tasks
					}
				}
				if got != want {
					failures = append(failures, fmt.Sprintf("%s run: %s: got %d, want %d", run.Mode, k, got, want))
				}
			}
			continue
		default:
			ts.Fatalf("report: unknown check %q", k)
		}
		if got != want {
			failures = append(failures, fmt.Sprintf("%s: got %d, want %d", k, got, want))
		}
	}
	if neg != (len(failures) > 0) {
		ts.Fatalf("report %s: %v", args[0], failures)
	}
}

// sameout A B: the two reports have the same outputs and digest.
func cmdSameOutputs(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: sameout A B")
	}
	a, b := readReport(ts, args[0]), readReport(ts, args[1])
	same := a.Digest == b.Digest && len(a.Results) == len(b.Results)
	for i := 0; same && i < len(a.Results); i++ {
		same = string(a.Results[i].Output) == string(b.Results[i].Output)
	}
	if neg == same {
		ts.Fatalf("sameout %s %s: same=%v (digests %s, %s)", args[0], args[1], same, a.Digest, b.Digest)
	}
}

// noworker FILE: no process named in the report's runs is alive.
func cmdNoWorker(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: noworker FILE")
	}
	r := readReport(ts, args[0])
	for _, run := range r.Runs {
		for _, w := range run.Workers {
			if w.PID != os.Getpid() && syscall.Kill(w.PID, 0) == nil {
				ts.Fatalf("worker pid %d of the %s run is still alive", w.PID, run.Mode)
			}
		}
	}
}

// ordered stdout|stderr|FILE RE...: lines matching the regular expressions
// appear in that order (other lines may come between them).
func cmdOrdered(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: ordered stdout|stderr|FILE RE...")
	}
	text := ts.ReadFile(args[0]) // stdout and stderr name the last command's
	lines := strings.Split(text, "\n")
	at := 0
	for _, expr := range args[1:] {
		re, err := regexp.Compile(expr)
		ts.Check(err)
		for at < len(lines) && !re.MatchString(lines[at]) {
			at++
		}
		if at == len(lines) {
			ts.Fatalf("no line matching %q after the previous ones in:\n%s", expr, text)
		}
		at++
	}
}

// status N CMD ARGS...: runs CMD as exec does, keeping its stdout and
// stderr for the checks that follow, and checks that it exited with status
// N (not killed by a signal).
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status N CMD ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			ts.Fatalf("%s was killed by %v; want exit status %d", args[1], ws.Signal(), want)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d; want %d", args[1], got, want)
	}
}

// pidslimit N: makes a pids cgroup below this process's that allows N
// processes and threads, removed at the end of the script, and sets
// $PIDSCG to its directory, for a command to move itself into. Scripts
// that use it skip unless [pidscgroup].
func cmdPidsLimit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: pidslimit N")
	}
	dir, err := newPidsCgroup(filepath.Base(ts.Getenv("WORK")))
	ts.Check(err)
	ts.Defer(func() { os.Remove(dir) })
	ts.Check(os.WriteFile(filepath.Join(dir, "pids.max"), []byte(args[0]), 0o644))
	ts.Setenv("PIDSCG", dir)
}

// newPidsCgroup makes a pids cgroup named after name below this
// process's, and returns its directory.
func newPidsCgroup(name string) (string, error) {
	g, err := cgroup.Of(0)
	if err != nil {
		return "", err
	}
	parent := g.Dir("pids")
	if parent == "" {
		return "", errors.New("no pids cgroup here")
	}
	dir := filepath.Join(parent, fmt.Sprintf("brine-test-%d-%s", os.Getpid(), name))
	return dir, os.Mkdir(dir, 0o755)
}

// scriptCondition answers [pidscgroup]: whether a pids cgroup can be made.
func scriptCondition(cond string) (bool, error) {
	if cond != "pidscgroup" {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	dir, err := newPidsCgroup("probe")
	if err != nil {
		return false, nil
	}
	os.Remove(dir)
	return true, nil
}

// width stdout|stderr|FILE N: no line is wider than N columns (runes).
func cmdWidth(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: width stdout|stderr|FILE N")
	}
	limit, err := strconv.Atoi(args[1])
	ts.Check(err)
	for i, line := range strings.Split(ts.ReadFile(args[0]), "\n") {
		if n := utf8.RuneCountInString(line); n > limit {
			ts.Fatalf("line %d is %d columns wide, more than %d:\n%s", i+1, n, limit, line)
		}
	}
}

// distinct stdout|stderr|FILE N RE: RE, whose first group captures a
// value, matches N lines, and their values are all different; with !,
// they are all the same.
func cmdDistinct(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: distinct stdout|stderr|FILE N RE")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	re, err := regexp.Compile("(?m)" + args[2])
	ts.Check(err)
	matches := re.FindAllStringSubmatch(ts.ReadFile(args[0]), -1)
	if len(matches) != n {
		ts.Fatalf("%d lines match %q, want %d", len(matches), args[2], n)
	}
	seen := map[string]bool{}
	for _, m := range matches {
		if len(m) < 2 {
			ts.Fatalf("%q captures nothing", args[2])
		}
		seen[m[1]] = true
	}
	if want := map[bool]int{false: n, true: 1}[neg]; len(seen) != want {
		ts.Fatalf("%d different values among %d matches of %q, want %d", len(seen), n, args[2], want)
	}
}
