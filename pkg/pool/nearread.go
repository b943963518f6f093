package pool

import (
	"io"
	"os"
	"syscall"
)

// nearReader reads a worker's output: in blocking mode while near reports
// the next result near, through the runtime's poller otherwise.
//
// A goroutine parked in the poller is made runnable by whichever thread
// polls next and then run on a thread the scheduler wakes for it, two
// wake-ups where a thread blocked in read(2) takes one: on the benchmark
// machine a one-call round trip took 39 µs that way against 55 µs through
// the poller (medians of 3,000 calls), and a raw pipe's 15 µs. A blocked
// thread keeps its processor (P), though, which the runtime takes back
// only at its next check, 20 µs to 10 ms on, when goroutines wait for it:
// receivers that blocked while results stream delayed the senders and
// callers (a 100,000-task run took 44 ms against 37 ms when every read
// blocked). So the pool's receivers block only while it has at most one
// task in flight, when the next result is a round trip away and nothing
// else is under way, and they yield before they do (see receive).
//
// The cost is a thread per idle worker, blocked in read(2). The read ends
// as the poller's wait did: when the worker writes, exits or is killed;
// the pool closes its end only after the receiver has returned.
type nearReader struct {
	f        *os.File
	rc       syscall.RawConn
	near     func() bool
	blocking bool // the descriptor's mode, as last set
}

func newNearReader(f *os.File, near func() bool) (*nearReader, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &nearReader{f: f, rc: rc, near: near}, nil
}

func (r *nearReader) Read(p []byte) (int, error) {
	if near := r.near(); near != r.blocking {
		var serr error
		if err := r.rc.Control(func(fd uintptr) { serr = syscall.SetNonblock(int(fd), !near) }); err != nil {
			return 0, err
		}
		if serr == nil { // else it reads as it did
			r.blocking = near
		}
	}
	if !r.blocking || len(p) == 0 {
		return r.f.Read(p)
	}
	var n int
	var rerr error
	err := r.rc.Read(func(fd uintptr) bool {
		n, rerr = syscall.Read(int(fd), p)
		// Interrupted, or made non-blocking meanwhile: the poller waits.
		return rerr != syscall.EAGAIN && rerr != syscall.EINTR
	})
	switch {
	case err != nil:
		return 0, err
	case rerr != nil:
		return 0, &os.PathError{Op: "read", Path: r.f.Name(), Err: rerr}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}
