package nats_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/transport"
	natst "github.com/brinehq/brine/pkg/transport/nats"
	"github.com/brinehq/brine/pkg/transport/nats/natsserver"
	"github.com/brinehq/brine/pkg/transport/transporttest"
	"github.com/brinehq/brine/pkg/wire"
)

const quickExit = "GORACE=atexit_sleep_ms=0"

func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// joinWorker starts the test binary as a worker that joins through urls,
// as `worker -nats URL` does on another machine, and returns its process,
// which the test reaps.
func joinWorker(t *testing.T, urls string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), wire.EnvMarker+"=1", "BRINE_NATS_URL="+urls, quickExit)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// run runs n calls on p and returns their results by index, failing t if
// one comes twice, never, or failed; during runs beside, once the first
// result is in.
func run(t *testing.T, p *pool.Pool, n int, build func(int) task.Call, during func()) []pool.Result {
	t.Helper()
	var mu sync.Mutex
	got := make([]pool.Result, n)
	seen := make([]int, n)
	first := make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		done <- p.Run(bounded(t), n, build, func(r pool.Result) {
			once.Do(func() { close(first) })
			mu.Lock()
			defer mu.Unlock()
			seen[r.Index]++
			got[r.Index] = r
		})
	}()
	select {
	case <-first:
		during()
	case err := <-done:
		t.Fatalf("the run ended before its first result: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for i, k := range seen {
		if k != 1 || got[i].Err != nil {
			t.Errorf("task %d: %d results, %v; want one, ok", i, k, got[i].Err)
		}
	}
	return got
}

// Workers that join from elsewhere run the tasks; one SIGKILLed in the
// middle of a task stops beating, and the tasks it held run on the other:
// every task ends ok, once, and those sent again say so in their
// attempts, as the report does.
func TestRemoteWorkerKilled(t *testing.T) {
	tmp := transporttest.ShortTempDir(t)
	t.Setenv("TMPDIR", tmp)
	srv, err := natsserver.Start(natsserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := natst.New(natst.Config{URLs: []string{srv.ClientURL()}, Server: srv, Liveness: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	workers := []*exec.Cmd{joinWorker(t, srv.ClientURL()), joinWorker(t, srv.ClientURL())}
	p, err := pool.New(bounded(t), pool.WithWorkers(2), pool.WithTransport(tr), pool.WithBatch(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range p.Workers() {
		if w.PID != 0 {
			t.Errorf("worker %d from elsewhere has pid %d, want 0", w.ID, w.PID)
		}
	}
	sleep := task.Bind(jobs.Sleep, 100)
	rs := run(t, p, 30, func(i int) task.Call { return sleep.Call(int64(i)) }, func() {
		workers[0].Process.Signal(syscall.SIGKILL)
	})
	again := 0
	for _, r := range rs {
		if r.Attempts > 1 {
			again++
		}
	}
	if again == 0 {
		t.Error("no task was sent again after its worker was killed")
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := workers[1].Wait(); err != nil {
		t.Errorf("the worker left: %v, want a clean exit", err)
	}
	transporttest.CheckEmptyDir(t, tmp)
}

// freePorts returns n TCP ports free on loopback.
func freePorts(t *testing.T, n int) []int {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

var _ transport.Transport = (*natst.Transport)(nil)

// checkEchoes runs n echoes on p and checks each comes back.
func checkEchoes(t *testing.T, p *pool.Pool, n int) {
	t.Helper()
	in := make([][]byte, n)
	for i := range in {
		in[i] = []byte{byte(i), byte(i >> 8)}
	}
	out, err := pool.Map(bounded(t), p, jobs.Echo, in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if string(out[i]) != string(in[i]) {
			t.Fatalf("echo %d: got %q, sent %q", i, out[i], in[i])
		}
	}
}

// A worker that joined from elsewhere exits, 1, when the server goes and
// its coordinator is heard from no more.
func TestWorkerLeavesWithItsServer(t *testing.T) {
	srv, err := natsserver.Start(natsserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := natst.New(natst.Config{URLs: []string{srv.ClientURL()}, Liveness: time.Second, RetryFor: time.Second})
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	w := joinWorker(t, srv.ClientURL())
	p, err := pool.New(bounded(t), pool.WithWorkers(1), pool.WithTransport(tr))
	if err != nil {
		t.Fatal(err)
	}
	checkEchoes(t, p, 10)
	srv.Close() // the server goes, and the coordinator with it
	exited := make(chan error, 1)
	go func() { exited <- w.Wait() }()
	select {
	case err := <-exited:
		if w.ProcessState.ExitCode() != 1 {
			t.Errorf("the worker left with %v, want exit status 1", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("the worker outlived its server by 30 s")
	}
	p.Close()
}
