package transporttest

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
	"github.com/brinehq/brine/pkg/worker"
)

// Environment of the suite's worker processes.
const (
	// envHostile names the frame a worker sends in place of its first
	// results (see hostileFrames).
	envHostile = "BRINE_TRANSPORTTEST_HOSTILE"
	// envOnce is a file that only the first worker to create it may
	// misbehave, so that its replacements work.
	envOnce = "BRINE_TRANSPORTTEST_ONCE"
)

// hostileFrames are what a worker broken or hostile may send after its
// handshake, in place of its first results, each of which the pool must
// refuse without harm: kill the worker and run its tasks elsewhere.
var hostileFrames = map[string]func(results []byte) []byte{
	// A length prefix of 4 GiB, which no reader may allocate.
	"huge": constant(0xff, 0xff, 0xff, 0xff),
	// A 5-byte body that declares an array of 4 billion elements
	// (msgpack/v5 allocates for it unless bounded).
	"bomb": constant(0, 0, 0, 5, 0xdd, 0xff, 0xff, 0xff, 0xff),
	// A message a worker never sends after its hello.
	"hello": constant(mustFrame(wire.AppendHello(nil, wire.Hello{Version: wire.Version, Funcs: []string{"echo"}}))...),
	// A result for a task it was never sent.
	"stranger": constant(strangerResult()...),
	// A frame cut short by the worker's exit.
	"truncated": constant(0, 0, 0, 100),
	// A frame begun and never finished by a worker that lives on: it
	// must be ended by the frame timeout.
	"stalled": constant(0, 0, 0, 100, 0x91, 0x07),
	// Its true results, claiming kinds only the coordinator gives
	// (docs/PROTOCOL.md §6).
	"timeout":     claiming(wire.KindTimeout),
	"worker_died": claiming(wire.KindWorkerDied),
	"cancelled":   claiming(wire.KindCancelled),
}

func constant(frame ...byte) func([]byte) []byte { return func([]byte) []byte { return frame } }

// claiming returns the results in a frame as failed with kind.
func claiming(kind string) func([]byte) []byte {
	return func(frame []byte) []byte {
		rs, err := wire.DecodeResults(frame[wire.HeaderSize:], nil)
		if err != nil {
			panic(err)
		}
		for i := range rs {
			rs[i].Value, rs[i].Err = nil, &wire.Error{Kind: kind, Message: "said the worker"}
		}
		return mustFrame(wire.AppendResults(nil, rs))
	}
}

// boasting returns the result frames in results with every task claiming
// to have run for an hour.
func boasting(results []byte) []byte {
	var out []byte
	for len(results) > 0 {
		n := wire.HeaderSize + int(binary.BigEndian.Uint32(results))
		rs, err := wire.DecodeResults(results[wire.HeaderSize:n], nil)
		if err != nil {
			panic(err)
		}
		for i := range rs {
			rs[i].Nanos = uint64(time.Hour)
		}
		out = append(out, mustFrame(wire.AppendResults(nil, rs))...)
		results = results[n:]
	}
	return out
}

func mustFrame(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func strangerResult() []byte {
	b, bw := wire.BeginResults(nil)
	b = wire.AppendResultTail(wire.AppendResultHead(b, 1<<40), nil, 1)
	return mustFrame(bw.End(b, 1))
}

// misbehaviour returns the worker options of a worker the suite asked to
// misbehave, if it is the first to.
func misbehaviour() []worker.Option {
	name := os.Getenv(envHostile)
	hostile, ok := hostileFrames[name]
	if name == "boast" {
		return []worker.Option{worker.WithOutput(func(out io.Writer) io.Writer {
			return &hostileWriter{out: out, hostile: boasting, every: true}
		})}
	}
	if !ok {
		return nil
	}
	f, err := os.OpenFile(os.Getenv(envOnce), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil // another worker misbehaved already
	}
	f.Close()
	return []worker.Option{worker.WithOutput(func(out io.Writer) io.Writer {
		return &hostileWriter{out: out, hostile: hostile, truncate: os.Getenv(envHostile) == "truncated"}
	})}
}

// hostileWriter passes the worker's hello on, then sends what hostile
// makes of its first results in place of everything after.
type hostileWriter struct {
	out      io.Writer
	hostile  func(results []byte) []byte
	truncate bool // exit once the frame is sent
	every    bool // send what hostile makes of every write, not just the first
	writes   int
}

func (w *hostileWriter) Write(p []byte) (int, error) {
	w.writes++
	if w.writes == 1 {
		return w.out.Write(p)
	}
	if w.every {
		if _, err := w.out.Write(w.hostile(p)); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	if w.writes == 2 {
		w.out.Write(w.hostile(p))
		if w.truncate {
			os.Exit(wire.ExitFailure)
		}
	}
	return len(p), nil
}

// hostileFrameTimeout is the frame timeout of the pools of testHostileFrames.
const hostileFrameTimeout = 300 * time.Millisecond

// A worker that sends a malformed, oversized, unexpected or lying frame is
// killed and replaced, and its tasks run on its replacement: no frame
// crashes, hangs or bloats the coordinator, and nothing is lost.
func testHostileFrames(t *testing.T, newTransport Factory) {
	for name := range hostileFrames {
		t.Run(name, func(t *testing.T) {
			once := filepath.Join(t.TempDir(), "misbehaved")
			var log logBuffer
			p := startPool(t, newTransport, pool.WithWorkers(1), pool.WithRetries(2),
				pool.WithFrameTimeout(hostileFrameTimeout), pool.WithLogger(zerolog.New(&log)),
				pool.WithEnv(envHostile+"="+name, envOnce+"="+once))
			checkEchoes(t, p, echoes(4))
			if want := "frame timeout"; name == "stalled" && !strings.Contains(log.String(), want) {
				t.Errorf("the pool's log does not say why the worker was killed (%q):\n%s", want, log.String())
			}
			if _, err := os.Stat(once); err != nil {
				t.Fatalf("no worker misbehaved: %v", err)
			}
			if n := restarts(p); n < 1 {
				t.Errorf("the worker that sent a %s frame was not replaced", name)
			}
		})
	}
}

// logBuffer collects a pool's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A worker's word on how long a task ran is bounded by the coordinator's
// own clock: a worker that says an hour for tasks it answered at once does
// not make the compute time of the results, or the run's, past the time
// the tasks were held.
func testBoastedCompute(t *testing.T, newTransport Factory) {
	p := startPool(t, newTransport, pool.WithWorkers(1), pool.WithEnv(envHostile+"=boast"))
	for range 5 {
		var compute time.Duration
		began := time.Now()
		err := p.Run(bounded(t), 1, func(int) task.Call { return jobs.Echo.Call([]byte("x")) }, func(r pool.Result) {
			if r.Err != nil {
				t.Errorf("task: %v", r.Err)
			}
			compute = r.Compute
		})
		held := time.Since(began)
		if err != nil {
			t.Fatal(err)
		}
		if compute > held {
			t.Fatalf("a task held %v has a compute time of %v, the worker's word", held, compute)
		}
	}
}
