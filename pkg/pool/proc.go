package pool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/brinehq/brine/pkg/lane"
	"github.com/brinehq/brine/pkg/wire"
)

// proc is one worker process and the goroutines that talk to it.
type proc struct {
	b       *processes
	slot    *slot
	cmd     *exec.Cmd
	pid     int
	hello   wire.Hello
	in      *os.File // our end of the worker's fd 3
	out     *os.File // our end of the worker's fd 4
	oomSeen int64    // the cgroup's OOM kill count when it started

	// Its shared-memory lanes for large payloads, if it mapped them (see
	// lanes.go): the sender writes down, the receiver reads up.
	lanes    *lane.Pair
	down     *lane.Writer
	up       *lane.Reader
	argsSize int // of the last call as encoded, 0 before the first; the sender's own

	// wmu orders the writes of the sender and of a caller sending its
	// own call (see direct.go) on in.
	wmu sync.Mutex
	rx  *receiver // the state of reading out, set as the receiver starts

	relays     sync.WaitGroup // stdout and stderr relays
	relaysLeft atomic.Int32
	relaysDone chan struct{} // closed when both relays have ended
	tail       *tailBuffer   // the last lines of its stderr, for error messages

	mu        sync.Mutex
	inflight  flight
	found     []int         // claim's scratch: positions in inflight
	tracked   []*item       // encode's scratch: the tasks of the batch it encodes; the sender's own
	lastDone  time.Time     // when a result last arrived, with TaskTimeout
	timedOut  bool          // a task's timeout killed the worker
	expiredID uint64        // that task's id
	rxState   rxState       // who reads out (see direct.go)
	rxWanted  bool          // the receiver waits for a lent reading to come back
	taking    bool          // the sender holds tasks for the worker that it has yet to track
	rxWake    chan struct{} // tells a parked receiver to read on, or that its lent reading is back

	n         atomic.Int64 // len(inflight), read without the lock
	bytes     atomic.Int64 // encoded size of the tasks in flight
	avg       atomic.Int64 // moving average of task compute time, ns
	completed atomic.Int64 // tasks it answered
	sent      int          // tasks sent to it; the sender's own
	solo      bool         // it was last sent a suspect, alone; the sender's own
	retired   atomic.Bool  // it took its last task (MaxTasksPerWorker)
	wake      chan struct{}
	stop      chan struct{} // closed when it is to take no more tasks
	done      chan struct{} // closed when its output has ended
	stopOnce  sync.Once
	inOnce    sync.Once

	sigMu     sync.Mutex
	exited    bool   // it has exited: its pid may be reaped and reused, never signal it
	reason    string // why the pool killed it; "" when it did not
	blameless bool   // the reason is no fault of the tasks it held
}

func newProc(b *processes, s *slot) *proc {
	w := &proc{b: b, slot: s, tail: &tailBuffer{}, relaysDone: make(chan struct{}),
		wake: make(chan struct{}, 1), rxWake: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	w.relaysLeft.Store(2)
	return w
}

// spawn starts a worker process for slot s and completes its handshake.
// On failure nothing it started is left behind.
func (b *processes) spawn(ctx context.Context, s *slot) (*proc, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pool: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		closeAll(inR, inW)
		return nil, fmt.Errorf("pool: %w", err)
	}
	growPipe(inR)
	growPipe(outW)
	w := newProc(b, s)
	w.lanes = b.newLanes()
	cmd := exec.Command(b.cmd[0], b.cmd[1:]...)
	cmd.Env = b.env(w.lanes != nil)
	cmd.ExtraFiles = []*os.File{inR, outW, b.p.region.File()} // fds 3, 4 and 5 in the worker
	if w.lanes != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, w.lanes.File()) // fd 6
	}
	// Its own process group keeps a terminal's Ctrl-C for the coordinator to
	// handle, and lets a kill reach what its tasks started; Pdeathsig ends
	// it if the coordinator dies (the worker also watches fd 4 for that).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, err1 := cmd.StdoutPipe()
	stderr, err2 := cmd.StderrPipe()
	if err := errors.Join(err1, err2); err != nil {
		closeAll(inR, inW, outR, outW)
		w.closeLanes()
		return nil, fmt.Errorf("pool: %w", err)
	}
	w.oomSeen = b.oom.count()
	err = cmd.Start()
	closeAll(inR, outW) // the child has its copies
	if err != nil {
		closeAll(inW, outR)
		w.closeLanes()
		return nil, fmt.Errorf("pool: starting worker %s: %w; check -worker or Options.Command", b.cmd[0], err)
	}
	w.cmd, w.pid, w.in, w.out = cmd, cmd.Process.Pid, inW, outR
	w.relays.Add(2)
	go w.relay(stdout, "stdout") // owned by w.relays, awaited in reap
	go w.relay(stderr, "stderr")
	if err := w.handshake(ctx); err != nil {
		w.killFor("its handshake failed", true)
		exit := w.reap()
		w.closeLanes()
		return nil, fmt.Errorf("pool: worker %d (pid %d, %s): %w%s", s.id, w.pid, exit.Status, err, w.tail.describe())
	}
	w.takeLanes()
	return w, nil
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// handshake reads the worker's Hello within the handshake timeout, or until
// ctx ends, and answers it (docs/PROTOCOL.md §3).
func (w *proc) handshake(ctx context.Context) error {
	limit := w.b.p.opts.HandshakeTimeout
	w.out.SetReadDeadline(time.Now().Add(limit))
	interrupted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(interrupted)
		w.out.SetReadDeadline(time.Now())
	})
	defer func() {
		if !stop() {
			<-interrupted // so that it cannot set a deadline after the reset
		}
		w.out.SetReadDeadline(time.Time{})
	}()
	body, err := wire.NewReader(w.out, 4<<10, 1<<20).Next()
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted before its hello: %w", ctx.Err())
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("no hello within %v (HandshakeTimeout): is %s a brine worker that calls worker.Main?", limit, w.b.cmd[0])
	case errors.Is(err, io.EOF):
		return fmt.Errorf("exited before its hello: is %s a brine worker that calls worker.Main?", w.b.cmd[0])
	default:
		return fmt.Errorf("bad hello: %w: is %s a brine worker?", err, w.b.cmd[0])
	}
	if w.hello, err = wire.DecodeHello(body); err != nil {
		return fmt.Errorf("bad hello: %w: is %s a brine worker?", err, w.b.cmd[0])
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

// serve runs the sender, the receiver and, with a task timeout, the
// watchdog until the worker's output ends; then it reaps the worker and
// returns how it ended.
func (w *proc) serve() *WorkerExitError {
	var g sync.WaitGroup
	g.Go(w.send)
	if w.b.p.opts.TaskTimeout > 0 {
		g.Go(w.watch)
	}
	var src io.Reader = w.out
	near, err := newNearReader(w.out, func() bool { return w.b.flying.Load() <= nearFlight }, &w.b.blocked)
	if err == nil {
		src, w.out = near, near.base // reap closes it
	}
	err = w.receive(src)
	if near != nil {
		near.done()
	}
	if err != nil {
		w.b.p.opts.Logger.Error().Int("worker", w.slot.id).Int("pid", w.pid).Err(err).Msg("killing worker")
		w.killFor(fmt.Sprintf("it broke the protocol (%v)", err), false)
	}
	w.halt()
	close(w.done)
	exit := w.reap() // after which a sender blocked on its input fails
	g.Wait()
	w.closeLanes() // neither the sender nor the receiver uses them now
	return exit
}

func (w *proc) halt() { w.stopOnce.Do(func() { close(w.stop) }) }

// closeInput ends the worker's input: it finishes what it holds and exits.
func (w *proc) closeInput() {
	w.halt()
	w.inOnce.Do(func() { w.in.Close() })
}

// signalFor sends sig to the worker's process group, which reaches what its
// tasks started too, unless the worker has exited. The first reason given
// is the one its exit reports.
func (w *proc) signalFor(sig syscall.Signal, reason string, blameless bool) {
	w.sigMu.Lock()
	defer w.sigMu.Unlock()
	if w.exited || w.pid <= 0 { // kill(-0) would signal our own group
		return
	}
	if w.reason == "" {
		w.reason, w.blameless = reason, blameless
	}
	syscall.Kill(-w.pid, sig)
}

func (w *proc) killFor(reason string, blameless bool) {
	w.signalFor(syscall.SIGKILL, reason, blameless)
}

// verdict returns the id of the task whose timeout killed the worker and
// true, if one did, and whether its death is no fault of the tasks it held.
func (w *proc) verdict() (expired uint64, timedOut, blameless bool) {
	w.mu.Lock()
	expired, timedOut = w.expiredID, w.timedOut
	w.mu.Unlock()
	w.sigMu.Lock()
	defer w.sigMu.Unlock()
	return expired, timedOut, w.blameless
}

// holds reports whether the worker holds a task of rs.
func (w *proc) holds(rs *runState) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	held := false
	w.inflight.each(func(it *item) bool {
		held = it.run == rs
		return !held
	})
	return held
}

// takeInflight removes and returns every task the worker holds, a chunk
// as a single item for each of its calls that has no result.
func (w *proc) takeInflight() []*item {
	w.mu.Lock()
	defer w.mu.Unlock()
	its := w.inflight.takeAll()
	w.b.flying.Add(-w.n.Swap(0))
	w.bytes.Store(0)
	for i := 0; i < len(its); i++ {
		if it := its[i]; it.isChunk() {
			parts := it.split()
			its = slices.Replace(its, i, i+1, parts...)
			i += len(parts) - 1
		}
	}
	return its
}
