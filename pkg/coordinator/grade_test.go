package coordinator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/joshdk/go-junit"

	"github.com/brinehq/brine/pkg/coordinator"
	"github.com/brinehq/brine/pkg/report"
)

// gradeLog is a goroutine-safe buffer for the coordinator's stderr, which
// its goroutines log to concurrently.
type gradeLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *gradeLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *gradeLog) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// inProcess runs coordinator.Main in this process.
func inProcess(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut gradeLog
	code = coordinator.Main(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// makeReport runs a job in this process and returns its report file. Process
// mode runs the "worker" that TestMain puts on PATH: this test binary.
func makeReport(t *testing.T, args ...string) string {
	t.Helper()
	worker, err := exec.LookPath("worker")
	if err != nil {
		t.Fatal(err)
	}
	// Under -race, a worker would otherwise sleep a second at exit.
	t.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	path := filepath.Join(t.TempDir(), "report.json")
	args = append(args, "-report", path, "-worker", worker, "-no-progress", "-log-level", "error")
	if code, _, stderr := inProcess(t, args...); code != coordinator.ExitOK {
		t.Fatalf("coordinator %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	return path
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// editReport rewrites the report at path with f applied to its JSON.
func editReport(t *testing.T, path string, f func(doc map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	f(doc)
	out, _ := json.MarshalIndent(doc, "", "  ")
	return writeTemp(t, "edited.json", out)
}

func taskResults(doc map[string]any) []any { return doc["results"].([]any) }

var checkLine = regexp.MustCompile(`^(PASS|FAIL) [a-z-]+: .+$`)

// wantLines checks that every line of stdout is a check line, and that it
// has a line matching each pattern.
func wantLines(t *testing.T, stdout string, patterns ...string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		if !checkLine.MatchString(line) {
			t.Errorf("not a check line: %q", line)
		}
	}
	for _, p := range patterns {
		if !regexp.MustCompile(`(?m)` + p).MatchString(stdout) {
			t.Errorf("no line matches %s in\n%s", p, stdout)
		}
	}
}

// TestGradeAcceptance: runs of -job hash -tasks 200 in thread mode on one
// worker and in process mode on three have equal digests, each grades the
// other as expected, and an output altered by hand fails with a line naming
// its task.
func TestGradeAcceptance(t *testing.T) {
	thread := makeReport(t, "-job", "hash", "-tasks", "200", "-mode", "thread", "-workers", "1")
	process := makeReport(t, "-job", "hash", "-tasks", "200", "-mode", "process", "-workers", "3")
	var digests [2]string
	for i, path := range []string{thread, process} {
		data, _ := os.ReadFile(path)
		rep, err := report.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		digests[i] = rep.Digest
	}
	if digests[0] != digests[1] {
		t.Fatalf("thread digest %s, process digest %s", digests[0], digests[1])
	}

	code, stdout, stderr := inProcess(t, "grade", "-expect", thread, process)
	if code != coordinator.GradePass {
		t.Fatalf("grade: exit %d\n%s%s", code, stdout, stderr)
	}
	wantLines(t, stdout, `^PASS expect: the 200 results are those .* expects$`,
		`^PASS known-answer: hash: recomputed 200 of 200 outputs \(seed 1, 1000 rounds of SHA-256\)$`)

	altered := editReport(t, process, func(doc map[string]any) {
		taskResults(doc)[117].(map[string]any)["output"] = strings.Repeat("ab", 32)
	})
	code, stdout, _ = inProcess(t, "grade", altered)
	if code != coordinator.GradeFail {
		t.Fatalf("grade of an altered report: exit %d, want %d\n%s", code, coordinator.GradeFail, stdout)
	}
	wantLines(t, stdout, `^FAIL digest: `, `^FAIL known-answer: hash: task 117: output "abab`)
	code, stdout, _ = inProcess(t, "grade", "-expect", thread, altered)
	if code != coordinator.GradeFail {
		t.Fatalf("exit %d", code)
	}
	wantLines(t, stdout, `^FAIL expect: task 117: output "abab.*\(the only difference\)$`)
}

func TestGradeExitStatuses(t *testing.T) {
	good := makeReport(t, "-job", "primes", "-tasks", "20", "-size", "1000", "-mode", "thread", "-workers", "2")
	data, _ := os.ReadFile(good)
	rep, _ := report.Decode(data)
	tests := []struct {
		name  string
		path  string
		code  int
		lines []string
	}{
		{"good", good, coordinator.GradePass, []string{`^PASS tasks-present: all 20 tasks`,
			`^PASS known-answer: primes: 20 outputs equal a sieve's counts; π\(20000\) = 2262`}},
		{"task missing", editReport(t, good, func(doc map[string]any) {
			doc["results"] = append(taskResults(doc)[:7:7], taskResults(doc)[8:]...)
		}), coordinator.GradeFail, []string{`^FAIL tasks-present: 1 of 20 tasks have no result: 7$`}},
		{"task duplicated", editReport(t, good, func(doc map[string]any) {
			doc["results"] = append(taskResults(doc), taskResults(doc)[19])
		}), coordinator.GradeFail, []string{`^FAIL tasks-once: task 19 has 2 results$`}},
		{"truncated", writeTemp(t, "t.json", data[:len(data)/3]), coordinator.GradeMalformed,
			[]string{`^FAIL json: .*t.json: report: not a JSON document: it ends in the middle of a value, at line \d+: truncated\?$`}},
		{"empty", writeTemp(t, "e.json", nil), coordinator.GradeMalformed,
			[]string{`^FAIL json: .*: the input is empty$`}},
		{"not JSON", writeTemp(t, "n.json", []byte("PASS everything\n")), coordinator.GradeMalformed,
			[]string{`^FAIL json: .*line 1, column 1: invalid character 'P'`}},
		{"wrong types", writeTemp(t, "w.json", bytes.Replace(data, []byte(`"size": 1000`), []byte(`"size": [1000]`), 1)),
			coordinator.GradeMalformed, []string{`^PASS json: `, `^FAIL schema: .*at '/size': got array, want integer$`}},
		{"huge number", writeTemp(t, "h.json", bytes.Replace(data, []byte(`"tasks": 20`), []byte(`"tasks": 184467440737095516160`), 1)),
			coordinator.GradeMalformed, []string{`^FAIL schema: .*at '/tasks': 184467440737095516160 is above the maximum, 9223372036854775807$`}},
		{"missing file", filepath.Join(t.TempDir(), "none.json"), coordinator.GradeMalformed,
			[]string{`^FAIL json: open .*none.json: no such file or directory$`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := inProcess(t, "grade", tt.path)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.code, stdout, stderr)
			}
			wantLines(t, stdout, tt.lines...)
		})
	}

	t.Run("expect a digest", func(t *testing.T) {
		for digest, code := range map[string]int{rep.Digest: coordinator.GradePass, strings.Repeat("f", 64): coordinator.GradeFail} {
			exp := writeTemp(t, "exp.json", []byte(`{"digest": "`+digest+`"}`))
			if got, stdout, _ := inProcess(t, "grade", "-expect", exp, good); got != code {
				t.Errorf("expecting %s: exit %d, want %d\n%s", digest, got, code, stdout)
			}
		}
	})
	t.Run("expect unreadable", func(t *testing.T) {
		exp := writeTemp(t, "exp.json", []byte(`{"digests": []}`))
		code, stdout, _ := inProcess(t, "grade", "-expect", exp, good)
		if code != coordinator.GradeMalformed {
			t.Errorf("exit %d", code)
		}
		wantLines(t, stdout, `^FAIL expect: .*exp.json: report: not a valid brine.report/v1 report: unknown field "digests"`)
	})
}

func TestGradeCommandLine(t *testing.T) {
	good := makeReport(t, "-job", "sleep", "-tasks", "3", "-size", "1", "-mode", "thread")
	for _, tt := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"grade"}, coordinator.GradeMalformed, "grade takes one report, not 0"},
		{[]string{"grade", good, good}, coordinator.GradeMalformed, "grade takes one report, not 2"},
		{[]string{"grade", "-nosuch", good}, coordinator.GradeMalformed, "flag provided but not defined: -nosuch"},
		{[]string{"grade", "-help"}, coordinator.GradePass, "usage: coordinator grade"},
		{[]string{"grade", good, "-junit", filepath.Join(t.TempDir(), "j.xml")}, coordinator.GradePass, ""},
		{[]string{"grade", "-junit", filepath.Join(t.TempDir(), "no", "such", "dir.xml"), good}, coordinator.GradeMalformed, "no such file or directory"},
	} {
		code, _, stderr := inProcess(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("coordinator %s: exit %d, stderr %q; want %d and %q", strings.Join(tt.args, " "), code, stderr, tt.code, tt.stderr)
		}
	}
}

// TestGradeCIFiles checks that -junit and -gradescope are written for a
// failed and for a malformed report alike, in forms their readers accept
// (the formats themselves are tested in pkg/report).
func TestGradeCIFiles(t *testing.T) {
	good := makeReport(t, "-job", "echo", "-tasks", "5", "-size", "8", "-mode", "thread")
	failed := editReport(t, good, func(doc map[string]any) { doc["seed"] = 2 })
	malformed := writeTemp(t, "m.json", []byte("{"))
	for _, tt := range []struct {
		path         string
		code, failed int
	}{{good, coordinator.GradePass, 0}, {failed, coordinator.GradeFail, 1}, {malformed, coordinator.GradeMalformed, 1}} {
		dir := t.TempDir()
		junitPath, gsPath := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "results.json")
		code, stdout, _ := inProcess(t, "grade", "-junit", junitPath, "-gradescope", gsPath, tt.path)
		if code != tt.code {
			t.Errorf("%s: exit %d, want %d", tt.path, code, tt.code)
		}
		lines := strings.Count(stdout, "\n")
		suites, err := junit.IngestFile(junitPath)
		if err != nil || len(suites) != 1 {
			t.Fatalf("%s: go-junit: %v, %d suites", junitPath, err, len(suites))
		}
		if s := suites[0].Totals; s.Tests != lines || s.Failed != tt.failed {
			t.Errorf("%s: JUnit totals %+v, want %d tests, %d failed", tt.path, s, lines, tt.failed)
		}
		data, err := os.ReadFile(gsPath)
		if err != nil {
			t.Fatal(err)
		}
		var gs struct {
			Score float64 `json:"score"`
			Tests []struct {
				Status string `json:"status"`
			} `json:"tests"`
		}
		if err := json.Unmarshal(data, &gs); err != nil || len(gs.Tests) != lines || gs.Score != float64(lines-tt.failed) {
			t.Errorf("%s: results.json %s (%v): want %d tests, score %d", tt.path, data, err, lines, lines-tt.failed)
		}
	}
}

// TestGradeStdin grades a report piped to `coordinator grade -`, running the
// coordinator as a command.
func TestGradeStdin(t *testing.T) {
	good := makeReport(t, "-job", "hash", "-tasks", "4", "-size", "1", "-mode", "thread")
	f, err := os.Open(good)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command("coordinator", "grade", "-")
	cmd.Stdin = f
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantLines(t, string(out), `^PASS json: - is one JSON document`, `^PASS known-answer: hash: recomputed 4 of 4`)
}
