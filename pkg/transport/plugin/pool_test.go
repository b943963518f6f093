package plugin_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/transport/plugin"
)

// quickExit spares race-enabled workers their sleep at exit.
const quickExit = "GORACE=atexit_sleep_ms=0"

var protocols = []plugin.Protocol{plugin.NetRPC, plugin.GRPC}

// eachProtocol runs fn once per protocol.
func eachProtocol(t *testing.T, fn func(t *testing.T, proto plugin.Protocol)) {
	for _, proto := range protocols {
		t.Run(string(proto), func(t *testing.T) { fn(t, proto) })
	}
}

// newTransport returns a transport over protocol that the test closes.
func newTransport(t *testing.T, protocol plugin.Protocol) *plugin.Transport {
	t.Helper()
	tr, err := plugin.New(plugin.Config{Protocol: protocol})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// startPool starts a pool of two workers that the test closes; over tr
// when it is not nil, else in thread mode.
func startPool(t *testing.T, tr *plugin.Transport, opts ...pool.Option) *pool.Pool {
	t.Helper()
	base := []pool.Option{pool.WithEnv(quickExit), pool.WithWorkers(2), pool.WithMode(pool.Thread)}
	if tr != nil {
		base = append(base, pool.WithMode(pool.Process), pool.WithTransport(tr))
	}
	p, err := pool.New(context.Background(), append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// bounded returns a context that ends a run, rather than hang the test.
func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// echoes returns n payloads of growing sizes, a few larger than a gRPC
// message of the transport.
func echoes(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		size := i * 7
		if i%100 == 99 {
			size = 3<<20 + i
		}
		out[i] = bytes.Repeat([]byte{byte(i)}, size)
	}
	return out
}

// Once the pool closes, its transport has no worker left running and no
// directory of sockets; none is left while the workers run either.
func TestCloseLeavesNothing(t *testing.T) {
	eachProtocol(t, func(t *testing.T, proto plugin.Protocol) {
		tmp := shortTempDir(t)
		t.Setenv("TMPDIR", tmp)
		tr := newTransport(t, proto)
		p := startPool(t, tr, pool.WithWorkers(3))
		if _, err := pool.Map(bounded(t), p, jobs.Echo, echoes(10)); err != nil {
			t.Fatal(err)
		}
		checkEmpty(t, tmp)
		var pids []int
		for _, w := range p.Workers() {
			pids = append(pids, w.PID)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		for _, pid := range pids {
			if alive(pid) {
				t.Errorf("worker %d alive after Close", pid)
			}
		}
		checkNoChildren(t)
		checkEmpty(t, tmp)
		if err := tr.Close(); err != nil {
			t.Errorf("closing again: %v", err)
		}
	})
}

// logJSON writes line to the worker's stderr twice: to fd 2 itself, as the
// worker's own zerolog logger does, and to os.Stderr, which go-plugin's
// server redirects through its connection.
var logJSON = task.Register("plugintest.logjson", func(_ context.Context, line string) (int, error) {
	fd2 := os.NewFile(2, "stderr")
	if _, err := fmt.Fprintln(fd2, strings.Replace(line, "%s", "fd 2", 1)); err != nil {
		return 0, err
	}
	_, err := fmt.Fprintln(os.Stderr, strings.Replace(line, "%s", "os.Stderr", 1))
	return 0, err
})

// What workers print reaches the pool's log with their id and pid; their
// JSON lines keep their level and fields.
func TestOutputRelayed(t *testing.T) {
	eachProtocol(t, func(t *testing.T, proto plugin.Protocol) {
		var log syncBuffer
		p := startPool(t, newTransport(t, proto), pool.WithWorkers(1), pool.WithLogger(zerologTo(&log)))
		print := task.Bind(jobs.Fault, jobs.FaultSpec{Mode: "print"})
		if _, err := pool.Map(bounded(t), p, print, []int64{7}); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Map(bounded(t), p, logJSON, []string{`{"level":"warn","k":3,"message":"through %s"}`}); err != nil {
			t.Fatal(err)
		}
		pid := p.Workers()[0].PID
		want := []string{
			fmt.Sprintf(`{"level":"info","worker":0,"pid":%d,"stream":"stdout","message":"fault: task 7 writes to stdout"}`, pid),
			fmt.Sprintf(`{"level":"info","worker":0,"pid":%d,"stream":"stderr","message":"fault: task 7 writes to stderr"}`, pid),
			fmt.Sprintf(`{"level":"warn","k":3,"worker":0,"pid":%d,"message":"through fd 2"}`, pid),
			fmt.Sprintf(`{"level":"warn","k":3,"worker":0,"pid":%d,"message":"through os.Stderr"}`, pid),
		}
		// go-plugin copies what Go code writes to os.Stdout and os.Stderr
		// over connections of its own, which a result may overtake.
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if missing(log.lines(), want) == nil {
				break
			}
		}
		for _, line := range missing(log.lines(), want) {
			t.Errorf("no line %s in the log:\n%s", line, log.String())
		}
	})
}

// missing returns the lines of want that lines lacks.
func missing(lines, want []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(lines, w) {
			out = append(out, w)
		}
	}
	return out
}
