package pipe

import (
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/transport/internal/procgroup"
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
		procgroup.WaitExit(w.PID(), 0)
	}
	w.group.Exited() // a zombie until cmd.Wait below
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

// hasExited reports whether the worker has exited, without reaping it.
func (w *worker) hasExited() bool { return w.group.HasExited() }

// exitError describes how the reaped worker ended and, when it was killed,
// by whom: a SIGKILL the pool did not send is explained by its memory
// cgroups' OOM kill counts.
func (w *worker) exitError() *transport.ExitError {
	reason := w.group.Reason()
	e := transport.ExitOf(w.id, w.PID(), w.cmd.ProcessState, reason)
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
