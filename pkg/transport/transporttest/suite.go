package transporttest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/worker"
)

// Factory returns a new transport for one pool, whose workers run the test
// binary.
type Factory func() (transport.Transport, error)

// Main is the TestMain of a transport's conformance test: in a worker
// process started by the suite it serves the built-in functions of
// pkg/jobs, misbehaving as the suite asks; in a coordinator process it
// runs the pool the suite then kills; otherwise it runs the tests and
// fails them if a goroutine is left over.
func Main(m *testing.M, newTransport Factory) {
	switch {
	case worker.IsWorker():
		os.Exit(worker.Main(misbehaviour()...))
	case os.Getenv(envRole) == roleCoordinator:
		os.Exit(coordinate(newTransport))
	case os.Getenv(envRole) == roleInterrupted:
		os.Exit(coordinateInterrupted(newTransport))
	}
	goleak.VerifyTestMain(m)
}

// Run runs the conformance suite on the transports newTransport returns.
func Run(t *testing.T, newTransport Factory) {
	for _, tc := range []struct {
		name string
		test func(*testing.T, Factory)
	}{
		{"Handshake", testHandshake},
		{"SameResultsAsThreads", testSameResults},
		{"Payloads", testPayloads},
		{"RetryAfterKill", testRetryAfterKill},
		{"WorkerCrash", testWorkerCrash},
		{"TaskTimeout", testTaskTimeout},
		{"Cancel", testCancel},
		{"Recycling", testRecycling},
		{"HostileFrames", testHostileFrames},
		{"BoastedCompute", testBoastedCompute},
		{"CoordinatorKilled", testCoordinatorKilled},
		{"Interrupt", testInterrupt},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, newTransport) })
	}
}

// quickExit spares race-enabled workers their sleep at exit.
const quickExit = "GORACE=atexit_sleep_ms=0"

// startPool starts a pool of workers over a new transport, in a TMPDIR of
// the test's own. Once the test ends, the pool is closed and the suite
// checks that no process of it is left and that TMPDIR is empty.
func startPool(t *testing.T, newTransport Factory, opts ...pool.Option) *pool.Pool {
	t.Helper()
	tmp := ShortTempDir(t)
	t.Setenv("TMPDIR", tmp)
	tr, err := newTransport()
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]pool.Option{pool.WithEnv(quickExit), pool.WithTransport(tr)}, opts...)
	p, err := pool.New(bounded(t), opts...)
	if err != nil {
		t.Fatalf("starting a pool over %s: %v", tr, err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		CheckNoChildren(t)
		CheckEmptyDir(t, tmp)
	})
	return p
}

// ShortTempDir returns a new directory with a short path, removed at the
// end of the test: a transport may keep Unix sockets in TMPDIR, whose
// paths are limited to 108 bytes, which t.TempDir's long names approach.
func ShortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// bounded returns a context that ends a test's Run, rather than hang it,
// if the pool loses a task.
func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// CheckEmptyDir fails t if dir holds anything.
func CheckEmptyDir(t *testing.T, dir string) {
	t.Helper()
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("left in TMPDIR: %s", e.Name())
	}
}

// restarts is how often the pool replaced its workers.
func restarts(p *pool.Pool) int {
	n := 0
	for _, w := range p.Workers() {
		n += w.Restarts
	}
	return n
}

// echoes returns n distinct payloads.
func echoes(n int) [][]byte {
	in := make([][]byte, n)
	for i := range in {
		in[i] = fmt.Appendf(nil, "payload %d", i)
	}
	return in
}

// checkEchoes runs Map of echo over in on p and checks every payload
// comes back as sent.
func checkEchoes(t *testing.T, p *pool.Pool, in [][]byte) {
	t.Helper()
	out, err := pool.Map(bounded(t), p, jobs.Echo, in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if string(out[i]) != string(in[i]) {
			t.Fatalf("echo %d: got %d bytes %.20q, sent %d bytes", i, len(out[i]), out[i], len(in[i]))
		}
	}
}
