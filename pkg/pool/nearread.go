package pool

import (
	"io"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
)

// nearReader reads a worker's output: in blocking mode while near reports
// the next result near and one of the pool's slots for blocked receivers
// is free, through the runtime's poller otherwise.
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
// else is under way; they yield before they do (see receive); and no more
// of them block at once than leave a processor free (blockSlots): with two
// processors and two idle workers whose receivers both blocked, a one-call
// round trip took 86 µs, its caller stranded until the runtime's check.
//
// The cost is a thread per blocked receiver. The read ends as the poller's
// wait did: when the worker writes, exits or is killed; the pool closes its
// end only after the receiver has returned.
type nearReader struct {
	f        *os.File
	rc       syscall.RawConn
	near     func() bool
	slots    *blockSlots
	blocking bool // the descriptor's mode, as last set; a slot is held while it is
}

func newNearReader(f *os.File, near func() bool, slots *blockSlots) (*nearReader, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &nearReader{f: f, rc: rc, near: near, slots: slots}, nil
}

// blocks sets the descriptor's mode for the next read, and reports whether
// that read may block its thread.
func (r *nearReader) blocks() bool {
	want := r.near()
	if want == r.blocking || want && !r.slots.acquire() {
		return r.blocking
	}
	var serr error
	if err := r.rc.Control(func(fd uintptr) { serr = syscall.SetNonblock(int(fd), !want) }); err != nil || serr != nil {
		if want {
			r.slots.release()
		}
		return r.blocking // it reads as it did
	}
	if !want {
		r.slots.release()
	}
	r.blocking = want
	return want
}

// done gives back the slot of a reader that is no longer read.
func (r *nearReader) done() {
	if r.blocking {
		r.blocking = false
		r.slots.release()
	}
}

func (r *nearReader) Read(p []byte) (int, error) {
	if !r.blocks() || len(p) == 0 {
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

// blockSlots bounds how many of a pool's receivers block at once: one
// processor fewer than the runtime has, so that a goroutine made runnable
// always finds one.
type blockSlots struct{ n atomic.Int32 }

func (s *blockSlots) acquire() bool {
	limit := int32(runtime.GOMAXPROCS(0) - 1)
	for {
		n := s.n.Load()
		if n >= limit {
			return false
		}
		if s.n.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func (s *blockSlots) release() { s.n.Add(-1) }
