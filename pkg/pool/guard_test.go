package pool_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/wire"
)

// envCareless makes the test binary a program whose main starts a pool
// without first handing over to worker.Main.
const envCareless = "BRINE_POOLTEST_CARELESS"

// carelessMain is the main of a program that forgot the worker guard: its
// workers, which re-run it, run this too.
func carelessMain() int {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := pool.New(ctx, pool.WithWorkers(2))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p.Close()
	return 0
}

// Inside a worker process, New refuses to start workers, at once, and
// shows the guard to add, in its TestMain form in a test binary.
func TestNewRefusesInsideAWorker(t *testing.T) {
	t.Setenv(wire.EnvMarker, "1")
	p, err := pool.New(context.Background(), pool.WithWorkers(1))
	if err == nil {
		p.Close()
		t.Fatal("a pool started inside a worker process")
	}
	if !errors.Is(err, transport.ErrInWorker) || !strings.Contains(err.Error(), "TestMain, before m.Run()") ||
		!strings.Contains(err.Error(), "if worker.IsWorker() { os.Exit(worker.Main()) }") {
		t.Errorf("error %q: want transport.ErrInWorker and the TestMain guard", err)
	}
	checkNoChildren(t)
	// Thread mode starts no process, and may run anywhere.
	p, err = pool.New(context.Background(), pool.WithWorkers(1), pool.WithMode(pool.Thread))
	if err != nil {
		t.Fatalf("thread mode inside a worker: %v", err)
	}
	p.Close()
}

// A program that forgot the guard fails at once with a message that shows
// it, instead of starting workers that start workers: its workers refuse
// to start a pool of their own, and its pool fails to start.
func TestForgottenGuard(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envCareless+"=1", quickExit)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("the careless program ended with %v, want exit status 1; it said:\n%s", err, out)
	}
	for _, want := range []string{"exited before its hello", transport.ErrInWorker.Error(), "if worker.IsWorker() { os.Exit(worker.Main()) }"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("its message lacks %q:\n%s", want, out)
		}
	}
	checkNoChildren(t)
}
