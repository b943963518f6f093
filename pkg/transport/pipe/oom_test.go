package pipe_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/internal/cgroup"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/transport/pipe"
)

// hog allocates and touches mb MiB.
var hog = task.Register("pipetest.hog", func(_ context.Context, mb int64) (int64, error) {
	b := make([]byte, mb<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	return int64(len(b)), nil
})

// A worker confined to a memory cgroup of its own, as docs/SECURITY.md
// suggests, and killed there by the OOM killer is said to be: its own
// cgroup's count rose, though the coordinator's did not. Skipped where
// this process may not make a memory cgroup.
func TestOOMInWorkersOwnCgroup(t *testing.T) {
	self, err := cgroup.Of(0)
	if err != nil {
		t.Skip(err)
	}
	parent := self.Dir("memory")
	if parent == "" {
		t.Skip("no memory cgroup found")
	}
	dir := filepath.Join(parent, fmt.Sprintf("brine-oom-test-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot make a memory cgroup: %v", err)
	}
	t.Cleanup(func() { os.Remove(dir) })
	limit := "memory.max" // v2
	if _, err := os.Stat(filepath.Join(dir, limit)); err != nil {
		limit = "memory.limit_in_bytes" // v1
	}
	if err := os.WriteFile(filepath.Join(dir, limit), []byte("64M"), 0o644); err != nil {
		t.Skipf("cannot limit the memory cgroup: %v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The wrapper moves itself into the cgroup, then becomes the worker.
	tr, err := pipe.New(pipe.Config{Command: []string{"/bin/sh", "-c",
		`echo $$ > "$1/cgroup.procs" && exec "$2"`, "sh", dir, exe}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pool.New(context.Background(), pool.WithTransport(tr), pool.WithWorkers(1),
		pool.WithEnv("GORACE=atexit_sleep_ms=0"), pool.WithLogger(zerolog.Nop()))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = pool.Map(context.Background(), p, hog, []int64{512})
	if err == nil {
		t.Fatal("a worker allocating 512 MiB in a cgroup of 64 MiB was not killed")
	}
	if msg := err.Error(); !strings.Contains(msg, "suspected out of memory") || !strings.Contains(msg, filepath.Base(dir)) {
		t.Errorf("the OOM kill is not named, with the worker's cgroup: %v", err)
	}
}
