package main

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/brinehq/brine/pkg/worker"
)

// TestMain lets the test binary serve as a worker too, in case a test
// starts a process pool in this process (the tests below run the built
// example instead).
func TestMain(m *testing.M) {
	if worker.IsWorker() {
		os.Exit(worker.Main())
	}
	os.Exit(m.Run())
}

// build compiles the example into a temporary directory: the test runs the
// program as a user would, one binary that is its own worker.
func build(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the example with")
	}
	bin := filepath.Join(t.TempDir(), "wordfreq")
	if out, err := exec.Command(goCmd, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// corpus writes files under dir whose word counts are known, and returns them.
func corpus(t *testing.T, dir string) map[string]int {
	t.Helper()
	want := map[string]int{}
	for i := range 40 {
		var b strings.Builder
		for range i + 1 {
			b.WriteString("Alpha, ")
		}
		want["alpha"] += i + 1
		b.WriteString("beta.\n'quoted' don't\n")
		want["beta"]++
		want["quoted"]++
		want["don't"]++
		if i%2 == 0 {
			b.WriteString("GAMMA gamma 42\n")
			want["gamma"] += 2
			want["42"]++
		}
		sub := filepath.Join(dir, fmt.Sprint("d", i%3))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%d.txt", i)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Not a .txt file: not counted.
	if err := os.WriteFile(filepath.Join(dir, "notes.md"), []byte("alpha omega"), 0o644); err != nil {
		t.Fatal(err)
	}
	return want
}

var (
	countLine = regexp.MustCompile(`^\s*(\d+) (\S+)$`)
	pidLine   = regexp.MustCompile(`^(coordinator|worker) pid (\d+)(?:: (\d+) files)?$`)
)

// parse reads the example's output: the word counts, the coordinator's pid,
// and how many files each worker pid counted.
func parse(t *testing.T, out string) (header string, counts map[string]int, coordinator int, workers map[int]int) {
	t.Helper()
	counts, workers = map[string]int{}, map[int]int{}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, line := range lines[1:] {
		if m := countLine.FindStringSubmatch(line); m != nil {
			counts[m[2]], _ = strconv.Atoi(m[1])
		} else if m := pidLine.FindStringSubmatch(line); m != nil {
			pid, _ := strconv.Atoi(m[2])
			if m[1] == "coordinator" {
				coordinator = pid
			} else {
				workers[pid], _ = strconv.Atoi(m[3])
			}
		} else {
			t.Errorf("unexpected line %q", line)
		}
	}
	return lines[0], counts, coordinator, workers
}

func TestWordfreq(t *testing.T) {
	bin := build(t)
	dir := t.TempDir()
	want := corpus(t, dir)
	total := 0
	for _, n := range want {
		total += n
	}
	for _, mode := range []string{"process", "thread"} {
		t.Run(mode, func(t *testing.T) {
			out, err := exec.Command(bin, "-workers", "2", "-top", "0", "-pids", "-mode", mode, dir).CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			header, counts, coordinator, workers := parse(t, string(out))
			if wantHeader := fmt.Sprintf("40 files, %d words, %d distinct", total, len(want)); header != wantHeader {
				t.Errorf("header %q, want %q", header, wantHeader)
			}
			if !maps.Equal(counts, want) {
				t.Errorf("counts %v\nwant %v", counts, want)
			}
			files := 0
			for _, n := range workers {
				files += n
			}
			if files != 40 {
				t.Errorf("workers counted %d files, want 40: %v", files, workers)
			}
			if mode == "thread" {
				if len(workers) != 1 || workers[coordinator] != 40 {
					t.Errorf("thread mode: files counted by %v, want all by the coordinator %d", workers, coordinator)
				}
				return
			}
			// The acceptance test of self-exec: the program started two
			// worker processes of its own binary, and they counted every
			// file, the program itself none. How the files split between
			// the two is scheduling's choice.
			if _, self := workers[coordinator]; len(workers) != 2 || self || coordinator == 0 {
				t.Errorf("worker processes and their files %v, coordinator pid %d: want 2 worker processes counting all files", workers, coordinator)
			}
		})
	}
}

func TestCountWords(t *testing.T) {
	got := countWords("It's the cat's 'toy' -- the CAT, 9 lives.")
	want := map[string]int{"it's": 1, "the": 2, "cat's": 1, "toy": 1, "cat": 1, "9": 1, "lives": 1}
	if !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestUsage(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), nil, &out, &out); err == nil || !strings.Contains(out.String(), "usage: wordfreq") {
		t.Errorf("no directory: %v\n%s", err, out.String())
	}
	if err := run(t.Context(), []string{"-mode", "gpu", t.TempDir()}, &out, &out); err == nil || !strings.Contains(err.Error(), "want process or thread") {
		t.Errorf("bad mode: %v", err)
	}
}
