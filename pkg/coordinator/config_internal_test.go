package coordinator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A pipe run starts the lean worker-pipe where make build put one, in
// any of the directories looked in, and the worker otherwise; with
// neither, the error names every path it tried.
func TestFindBesidePrefersTheLeanWorker(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	touch := func(dir, name string) {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := findBeside([]string{a, b}, "worker-pipe", "worker"); err == nil ||
		!strings.Contains(err.Error(), filepath.Join(a, "worker-pipe")) || !strings.Contains(err.Error(), filepath.Join(b, "worker")) {
		t.Errorf("with no worker: %v; want an error naming every path tried", err)
	}
	touch(a, "worker")
	if p, err := findBeside([]string{a, b}, "worker-pipe", "worker"); err != nil || p != filepath.Join(a, "worker") {
		t.Errorf("with a worker only: %q, %v; want %s", p, err, filepath.Join(a, "worker"))
	}
	touch(b, "worker-pipe")
	if p, err := findBeside([]string{a, b}, "worker-pipe", "worker"); err != nil || p != filepath.Join(b, "worker-pipe") {
		t.Errorf("with worker-pipe in the second directory: %q, %v; want it", p, err)
	}
	if err := os.Mkdir(filepath.Join(a, "worker-pipe"), 0o755); err != nil {
		t.Fatal(err)
	}
	if p, err := findBeside([]string{a}, "worker-pipe", "worker"); err != nil || p != filepath.Join(a, "worker") {
		t.Errorf("with a directory named worker-pipe: %q, %v; want the worker", p, err)
	}
}
