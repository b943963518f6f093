package pool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/brinehq/brine/pkg/wire"
)

// proc is one worker process and the two goroutines that talk to it.
type proc struct {
	b     *processes
	slot  *slot
	cmd   *exec.Cmd
	pid   int
	hello wire.Hello
	in    *os.File // our end of the worker's fd 3
	out   *os.File // our end of the worker's fd 4

	relays sync.WaitGroup // stdout and stderr relays
	tail   *tailBuffer    // the last lines of its stderr, for error messages

	mu       sync.Mutex
	inflight map[uint64]*item
	n        atomic.Int64 // len(inflight), read without the lock
	bytes    atomic.Int64 // encoded size of the tasks in flight
	avg      atomic.Int64 // moving average of task compute time, ns
	wake     chan struct{}
	stop     chan struct{} // closed when the worker is being torn down
	stopOnce sync.Once
	inOnce   sync.Once
}

// spawn starts a worker process for slot s and completes its handshake.
func (b *processes) spawn(ctx context.Context, s *slot) (*proc, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pool: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, fmt.Errorf("pool: %w", err)
	}
	cmd := exec.Command(b.cmd[0], b.cmd[1:]...)
	cmd.Env = b.env()
	cmd.ExtraFiles = []*os.File{inR, outW} // fds 3 and 4 in the worker
	// Its own process group keeps a terminal's Ctrl-C for the coordinator to
	// handle; Pdeathsig ends the worker if the coordinator dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, err1 := cmd.StdoutPipe()
	stderr, err2 := cmd.StderrPipe()
	if err := errors.Join(err1, err2); err != nil {
		closeAll(inR, inW, outR, outW)
		return nil, fmt.Errorf("pool: %w", err)
	}
	err = cmd.Start()
	closeAll(inR, outW) // the child has its copies
	if err != nil {
		closeAll(inW, outR)
		return nil, fmt.Errorf("pool: starting worker %s: %w", b.cmd[0], err)
	}
	w := &proc{b: b, slot: s, cmd: cmd, pid: cmd.Process.Pid, in: inW, out: outR, tail: &tailBuffer{},
		inflight: make(map[uint64]*item), wake: make(chan struct{}, 1), stop: make(chan struct{})}
	w.relays.Add(2)
	go w.relay(stdout, "stdout") // owned by w.relays, awaited in wait
	go w.relay(stderr, "stderr")
	if err := w.handshake(ctx); err != nil {
		w.kill()
		status := w.wait()
		return nil, fmt.Errorf("pool: worker %d (pid %d, %s): %w%s", s.id, w.pid, status, err, w.tail.describe())
	}
	return w, nil
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// handshake reads the worker's Hello within the handshake timeout and
// answers it (docs/PROTOCOL.md §3).
func (w *proc) handshake(ctx context.Context) error {
	deadline := time.Now().Add(w.b.p.opts.HandshakeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	w.out.SetReadDeadline(deadline)
	defer w.out.SetReadDeadline(time.Time{})
	body, err := wire.NewReader(w.out, 4<<10, 1<<20).Next()
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("no hello within %v: is %s a brine worker?", w.b.p.opts.HandshakeTimeout, w.b.cmd[0])
		}
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("exited before its hello: is %s a brine worker?", w.b.cmd[0])
		}
		return fmt.Errorf("bad hello: %w", err)
	}
	if w.hello, err = wire.DecodeHello(body); err != nil {
		return fmt.Errorf("bad hello: %w", err)
	}
	if w.hello.Version != wire.Version {
		return &wire.VersionError{Worker: w.hello.Version, Coordinator: wire.Version}
	}
	frame, _ := wire.AppendWelcome(nil, wire.Welcome{Version: wire.Version, Worker: w.slot.id})
	if _, err := w.in.Write(frame); err != nil {
		return fmt.Errorf("sending welcome: %w", err)
	}
	return nil
}

// serve runs the sender and the receiver until the worker ends, then reaps
// it and returns how it ended.
func (w *proc) serve() error {
	var sender sync.WaitGroup
	sender.Go(w.send)
	rerr := w.receive()
	if rerr != nil {
		w.b.p.opts.Logger.Error().Int("worker", w.slot.id).Int("pid", w.pid).Err(rerr).Msg("killing worker")
	}
	w.kill() // a worker that ended its output is done or broken
	w.halt()
	sender.Wait()
	status := w.wait()
	err := &WorkerExitError{Worker: w.slot.id, PID: w.pid, Status: status}
	if rerr != nil {
		return fmt.Errorf("%w after %v", err, rerr)
	}
	return err
}

func (w *proc) halt() { w.stopOnce.Do(func() { close(w.stop) }) }

// closeInput ends the worker's input: it finishes what it holds and exits.
func (w *proc) closeInput() {
	w.halt()
	w.inOnce.Do(func() { w.in.Close() })
}

func (w *proc) signal(sig syscall.Signal) {
	// The worker leads its own group; signal the group to reach anything
	// its tasks started too.
	syscall.Kill(-w.pid, sig)
}

func (w *proc) kill() { w.signal(syscall.SIGKILL) }

// wait reaps the process after its output relays have drained, as
// exec.Cmd.Wait requires, and returns its exit status in words.
func (w *proc) wait() string {
	w.relays.Wait()
	w.cmd.Wait()
	w.inOnce.Do(func() { w.in.Close() })
	w.out.Close()
	return exitStatus(w.cmd.ProcessState)
}

func exitStatus(ps *os.ProcessState) string {
	if ps == nil {
		return "not started"
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		return "signal: killed"
	}
	return strings.TrimSpace(ps.String())
}

// takeInflight removes and returns every task the worker holds.
func (w *proc) takeInflight() []*item {
	w.mu.Lock()
	defer w.mu.Unlock()
	its := make([]*item, 0, len(w.inflight))
	for id, it := range w.inflight {
		its = append(its, it)
		delete(w.inflight, id)
	}
	w.n.Store(0)
	w.bytes.Store(0)
	return its
}
