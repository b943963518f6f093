package pipe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/brinehq/brine/internal/cgroup"
	"github.com/brinehq/brine/pkg/lane"
	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/wire"
)

// spawn starts a worker process and completes its handshake. On failure
// nothing it started is left behind.
func (t *Transport) spawn(ctx context.Context, spec transport.Spec) (*worker, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pipe: %w%s", err, limitHint(err))
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		closeAll(inR, inW)
		return nil, fmt.Errorf("pipe: %w%s", err, limitHint(err))
	}
	growPipe(inR)
	growPipe(outW)
	w := &worker{t: t, id: spec.ID, log: spec.Logger, relaysDone: make(chan struct{})}
	w.relaysLeft.Store(2)
	w.lanes = t.newLanes(spec)
	cmd := exec.Command(t.cmd[0], t.cmd[1:]...)
	cmd.Env = t.env(spec, w.lanes != nil)
	cmd.ExtraFiles = []*os.File{inR, outW, spec.Shared} // fds 3, 4 and 5 in the worker; a nil one is closed there
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
		w.Close()
		return nil, fmt.Errorf("pipe: %w%s", err, limitHint(err))
	}
	w.oom = t.cgroups.OOM() // until it has said Hello, it may not be in its own cgroup yet
	err = w.group.Start(func() (int, error) {
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		return cmd.Process.Pid, nil
	})
	closeAll(inR, outW) // the child has its copies
	if err != nil {
		closeAll(inW, outR)
		w.Close()
		hint := limitHint(err)
		if hint == "" {
			hint = "; check -worker or Options.Command"
		}
		return nil, fmt.Errorf("pipe: starting worker %s: %w%s", t.cmd[0], err, hint)
	}
	w.cmd, w.in, w.out = cmd, inW, outR
	w.relays.Add(2)
	out, errOut := w.watch(stdout), w.watch(stderr) // before the relays start: FlushOutput reads w.outputs
	go w.relay(out, "stdout")                       // owned by w.relays, awaited in reap
	go w.relay(errOut, "stderr")
	if err := w.handshake(ctx, spec.HandshakeTimeout); err != nil {
		if _, ok := errors.AsType[*wire.VersionError](err); ok {
			w.CloseInput() // docs/PROTOCOL.md §3: it sees the end of its input and exits 1
		} else {
			w.Kill("its handshake failed")
		}
		exit := w.reap()
		w.Close()
		if errors.Is(err, errNoHello) {
			err = w.noHello(exit)
		}
		return nil, fmt.Errorf("pool: worker %d (pid %d, %s): %w%s", spec.ID, w.PID(), exit.Status, err, w.tail.Describe())
	}
	// A worker started through a wrapper that confines it (systemd-run
	// --scope, a container) is in its own cgroup by its Hello: its OOM
	// kills are counted there.
	if g, err := cgroup.Of(w.PID()); err == nil {
		if oom := g.OOM(); oom != nil {
			w.oom = oom
		}
	}
	w.takeLanes()
	w.startReading(spec.Near, spec.FrameTimeout)
	return w, nil
}

// env returns the environment of a worker process: this process's, the
// protocol's marker and descriptors, and spec's entries, which win.
func (t *Transport) env(spec transport.Spec, lanes bool) []string {
	env := append(os.Environ(), wire.EnvMarker+"=1")
	if spec.Shared != nil {
		env = append(env, wire.EnvCondFD+"="+strconv.Itoa(wire.CondFD))
	}
	if lanes {
		env = append(env, wire.EnvLaneFD+"="+strconv.Itoa(wire.LaneFD))
	}
	return append(env, spec.Env...)
}

// startReading sets up the reading of results: through a nearReader, which
// blocks while near says so, if the pipe can be made one, and with frames
// bounded by frameTimeout.
func (w *worker) startReading(near func() bool, frameTimeout time.Duration) {
	var src io.Reader = w.out
	if near != nil {
		if nr, err := newNearReader(w.out, near, &w.t.blocked); err == nil {
			w.near, w.out, src = nr, nr.base, nr // reap closes base
		}
	}
	w.r = wire.NewReader(src, 64<<10, 0)
	w.r.SetFrameTimeout(frameTimeout, func() { w.Kill(transport.FrameStalled(frameTimeout)) })
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// handshake reads the worker's Hello within limit, or until ctx ends, and
// answers it (docs/PROTOCOL.md §3).
func (w *worker) handshake(ctx context.Context, limit time.Duration) error {
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
	name := w.t.cmd[0]
	body, err := wire.NewReader(w.out, 4<<10, wire.MaxHello).Next()
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted before its hello: %w", ctx.Err())
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("no hello within %v (HandshakeTimeout): is %s a brine worker that calls worker.Main?", limit, name)
	case errors.Is(err, io.EOF):
		return errNoHello // which noHello explains, once the worker is reaped
	default:
		return fmt.Errorf("bad hello: %w: is %s a brine worker?", err, name)
	}
	w.hello, err = transport.Welcome(body, w.in, w.id, name)
	return err
}

// errNoHello: the worker's output ended before its Hello.
var errNoHello = errors.New("exited before its hello")

// noHello says why a worker ended before its Hello, now that it has ended
// and what it wrote to stderr has been read: a Go runtime that crashed
// for want of a thread was stopped by a limit on processes; a crash is
// the worker's; a program that just exited is likely no brine worker.
func (w *worker) noHello(exit *transport.ExitError) error {
	crash := w.tail.Crash()
	switch {
	case strings.Contains(crash, "failed to create new OS thread") || strings.Contains(crash, "newosproc"):
		return fmt.Errorf("%w: it could not create a thread%s", errNoHello, limitHint(syscall.EAGAIN))
	case crash != "":
		return fmt.Errorf("%w: it crashed", errNoHello)
	case exit.Signal != 0:
		return fmt.Errorf("%w: %s", errNoHello, exit.Status)
	}
	return fmt.Errorf("%w: is %s a brine worker that calls worker.Main?", errNoHello, w.t.cmd[0])
}

// limitHint says what to do about err when a system limit caused it, and
// is "" otherwise.
func limitHint(err error) string {
	switch {
	case errors.Is(err, syscall.EAGAIN):
		return "; a limit on processes and threads is reached (a pids cgroup, ulimit -u): run fewer workers, or raise the limit"
	case errors.Is(err, syscall.EMFILE):
		return "; the coordinator is out of file descriptors (ulimit -n): run fewer workers, or raise the limit"
	case errors.Is(err, syscall.ENFILE):
		return "; the system is out of file descriptors (fs.file-max): run fewer workers"
	case errors.Is(err, syscall.ENOMEM):
		return "; out of memory: run fewer workers"
	}
	return ""
}

// newLanes makes the lanes for a worker about to start, or returns nil when
// the transport or the system will not: the worker then gets all its
// payloads in frames.
func (t *Transport) newLanes(spec transport.Spec) *lane.Pair {
	if t.noLanes {
		return nil
	}
	p, err := lane.New(0)
	if err != nil {
		spec.Logger.Debug().Err(err).Msg("no lanes for large payloads: they go in frames")
		return nil
	}
	return p
}

// takeLanes keeps the worker's lanes if its Hello says it mapped them, and
// lets them go otherwise. The file is the worker's now: only the mapping
// is kept.
func (w *worker) takeLanes() {
	if w.lanes == nil {
		return
	}
	w.lanes.CloseFile()
	if !w.hello.Has(wire.FeatureLanes) {
		w.Close()
		return
	}
	w.down, w.up = w.lanes.Coordinator()
}
