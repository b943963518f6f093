package pipe

import (
	"errors"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/brinehq/brine/pkg/transport"
)

// lingerMax is how long a worker may live on after it closed its output or
// stopped reading its input before the pool kills it.
const lingerMax = 200 * time.Millisecond

// reap waits for the worker to exit, killing it if it lingers without its
// output, kills what its tasks left in its process group, collects its
// stdout and stderr, and returns how it ended.
func (w *worker) reap() *transport.ExitError {
	if !w.exitsWithin(lingerMax) {
		w.Kill("it closed its output but did not exit")
		waitExit(w.pid, 0)
	}
	w.sigMu.Lock()
	// The worker is a zombie until cmd.Wait below, so its pid, which is
	// also its group's id, cannot have been reused yet.
	syscall.Kill(-w.pid, syscall.SIGKILL)
	w.exited = true
	w.sigMu.Unlock()
	select {
	case <-w.relaysDone:
	case <-time.After(time.Second):
		// A process that left the group holds its stdout or stderr;
		// cmd.Wait closes our ends, which ends the relays.
	}
	w.reaping.Store(true) // FlushOutput looks at the relays' descriptors no more
	w.cmd.Wait()
	w.relays.Wait()
	w.inOnce.Do(func() { w.in.Close() })
	w.out.Close()
	return w.exitError()
}

// exitsWithin polls for the worker's exit for up to d, without reaping it,
// and reports whether it has exited.
func (w *worker) exitsWithin(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for pause := 100 * time.Microsecond; ; pause = min(2*pause, 20*time.Millisecond) {
		if w.hasExited() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
	}
}

func (w *worker) hasExited() bool {
	w.sigMu.Lock()
	defer w.sigMu.Unlock()
	return w.exited || waitExit(w.pid, unix.WNOHANG)
}

// waitExit waits for process pid to exit, or with WNOHANG only looks,
// leaving it unreaped (WNOWAIT) for cmd.Wait, and reports whether it has.
func waitExit(pid, options int) bool {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT|options, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		// ECHILD: not our child any more, so it has certainly ended.
		return err != nil || info.Signo != 0
	}
}

// exitError describes how the reaped worker ended and, when it was killed,
// by whom: a SIGKILL the pool did not send is explained by its memory
// cgroups' OOM kill counts.
func (w *worker) exitError() *transport.ExitError {
	w.sigMu.Lock()
	reason := w.reason
	w.sigMu.Unlock()
	e := transport.ExitOf(w.id, w.pid, w.cmd.ProcessState, reason)
	if reason == "" && e.Signal == syscall.SIGKILL {
		e.Reason = w.oom.Explain()
	}
	return e
}

// pipeSize is the capacity asked for the task and result pipes: a batch or
// a large payload then crosses in a few writes, not one per 64 KiB page
// set, each waking the other side.
const pipeSize = 1 << 20

// growPipe enlarges the pipe of f, the worker's end, to pipeSize where the
// system allows (fs.pipe-max-size and the per-user pipe limits); otherwise
// it stays as it is. f is about to be passed to the worker, whose ends are
// blocking anyway, so f.Fd is harmless here.
func growPipe(f *os.File) {
	unix.FcntlInt(f.Fd(), unix.F_SETPIPE_SZ, pipeSize)
}
