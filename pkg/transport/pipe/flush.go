package pipe

import (
	"syscall"

	"golang.org/x/sys/unix"

	"io"
	"os"
	"sync/atomic"
	"time"
)

// A task's output reaches the pool's log through the relays, which read the
// worker's stdout and stderr on goroutines of their own: a line a task
// printed before its result can arrive after the result, and after the
// call that waited for it has returned. FlushOutput closes that gap: the
// bytes a worker wrote before its result are in the pipes by the time the
// result is read, so once each relay waits for more on an empty pipe, they
// have been relayed.

// flushBound is the longest FlushOutput waits: a program a task started
// may keep writing.
const flushBound = 100 * time.Millisecond

// watchedReader is a relay's source that says whether its relay has bytes
// in hand: from just before a read takes them from the pipe until the
// relay, having logged them, reads again.
type watchedReader struct {
	rc   syscall.RawConn
	fd   int         // the pipe's descriptor, while it is open
	busy atomic.Bool // the relay has bytes it has not logged
}

func (r *watchedReader) Read(p []byte) (n int, err error) {
	r.busy.Store(false) // the relay logged what it read before
	cerr := r.rc.Read(func(fd uintptr) bool {
		r.busy.Store(true) // before the bytes leave the pipe
		n, err = unix.Read(int(fd), p)
		if err == unix.EAGAIN {
			r.busy.Store(false)
			return false // wait for the pipe to be readable
		}
		return true
	})
	switch {
	case cerr != nil:
		return 0, cerr
	case err != nil:
		return 0, err
	case n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return n, nil
}

// watch wraps the worker's stdout or stderr for its relay.
func (w *worker) watch(r io.Reader) io.Reader {
	f, ok := r.(*os.File)
	if !ok {
		return r
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return r
	}
	wr := &watchedReader{rc: rc, fd: -1}
	rc.Control(func(fd uintptr) { wr.fd = int(fd) })
	if wr.fd < 0 {
		return r
	}
	w.outputs = append(w.outputs, wr)
	return wr
}

// FlushOutput returns once the lines the worker wrote to stdout and stderr
// before the call have been relayed, or after flushBound: one poll(2) of
// both pipes, with no timeout, when the relays have caught up.
func (w *worker) FlushOutput() {
	if w.reaping.Load() || len(w.outputs) == 0 {
		return // its relays read to the end before it is reaped
	}
	deadline := time.Now().Add(flushBound)
	for !w.drained() && time.Now().Before(deadline) && !w.reaping.Load() {
		time.Sleep(20 * time.Microsecond)
	}
}

// drained reports whether the relays have logged everything written to the
// pipes before the call: nothing is left in them, and then no relay holds
// bytes it took. (In this order: bytes taken after the look were taken with
// busy set.)
func (w *worker) drained() bool {
	var fds [2]unix.PollFd
	for i, r := range w.outputs {
		fds[i] = unix.PollFd{Fd: int32(r.fd), Events: unix.POLLIN}
	}
	if _, err := unix.Poll(fds[:len(w.outputs)], 0); err != nil {
		return false // interrupted: look again
	}
	for i, r := range w.outputs {
		if fds[i].Revents&unix.POLLIN != 0 || r.busy.Load() {
			return false
		}
	}
	return true
}
