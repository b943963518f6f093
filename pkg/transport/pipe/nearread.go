package pipe

import (
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/brinehq/brine/internal/spin"
)

// nearReader reads a worker's output: in blocking mode while near reports
// the next result near and one of the pool's slots for blocked receivers
// is free, through the runtime's poller otherwise.
//
// A goroutine parked in the poller is made runnable by whichever thread
// polls next and then run on a thread the scheduler wakes for it, two
// wake-ups where a thread blocked in read(2) takes one, which shortens a
// one-call round trip (bench/RESULTS.md, "Design measurements": Blocking
// reads). A blocked thread keeps its processor (P), though, which the
// runtime takes back only at its next check, 20 µs to 10 ms on, when
// goroutines wait for it: receivers that blocked while results stream
// delayed the senders and callers, and slowed whole runs. So the pool's
// receivers block only while it has at most a few tasks in flight
// (transport.Spec.Near), when the next result is about a round trip away;
// they yield before they do (see receive); and no more of them block at
// once than leave a processor free (blockSlots): with two processors and
// two idle workers whose receivers both blocked, a one-call Run's caller
// was stranded until the runtime's check (bench/RESULTS.md, "Design
// measurements": Blocking only when near).
//
// In blocking mode the descriptor is out of the poller altogether. The
// poller watches a descriptor it was given for as long as it is open, and
// while any goroutine waits in it (a worker's stdout and stderr relays do,
// always) a thread sleeps in epoll_wait(2) that every result written to a
// watched pipe wakes, for nothing, beside the thread blocked in read(2):
// one more thread woken per round trip, on the other processor, which
// slowed one-call round trips (bench/RESULTS.md, "Design measurements":
// Output out of the poller). So the reader keeps the output on a
// descriptor the poller never sees, and gives the poller a duplicate of
// it, closed again when it goes back to blocking, only while it reads in
// poller mode.
//
// The cost is a thread per blocked receiver, and three or four system
// calls each way between the modes. The read ends as the poller's wait
// did: when the worker writes, exits or is killed; the pool closes the
// output only after the receiver has returned.
type nearReader struct {
	fd       int      // the output's descriptor, which the poller never sees
	base     *os.File // fd, read in blocking mode
	pol      *os.File // a duplicate of fd in the poller, in poller mode; nil in blocking mode
	near     func() bool
	slots    *blockSlots
	blocking bool // in blocking mode, which holds a slot
}

// newNearReader takes over f, a pipe's read end in the poller, which it
// closes: the reader reads the pipe on a descriptor of its own (base),
// which whoever owned f closes once the reader is done. It starts in
// poller mode. On error f is left as it was.
func newNearReader(f *os.File, near func() bool, slots *blockSlots) (*nearReader, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd, derr := -1, error(nil)
	if err := rc.Control(func(old uintptr) { fd, derr = unix.FcntlInt(old, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	// Cleared before os.NewFile looks, so that base stays out of the
	// poller; the flag belongs to the pipe, which f shares until closed.
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, err
	}
	r := &nearReader{fd: fd, base: os.NewFile(uintptr(fd), f.Name()), near: near, slots: slots}
	if err := r.toPoller(); err != nil {
		unix.SetNonblock(fd, true) // f reads as it did
		r.base.Close()
		return nil, err
	}
	f.Close()
	return r, nil
}

// toPoller puts the pipe in non-blocking mode and a duplicate of it in the
// poller.
func (r *nearReader) toPoller() error {
	if err := unix.SetNonblock(r.fd, true); err != nil {
		return err
	}
	dup, err := unix.FcntlInt(uintptr(r.fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		unix.SetNonblock(r.fd, false)
		return err
	}
	r.pol, r.blocking = os.NewFile(uintptr(dup), r.base.Name()), false
	return nil
}

// toBlocking takes the duplicate out of the poller, closing it, and puts
// the pipe in blocking mode.
func (r *nearReader) toBlocking() error {
	if err := unix.SetNonblock(r.fd, false); err != nil {
		return err
	}
	r.pol.Close()
	r.pol, r.blocking = nil, true
	return nil
}

// blocks sets the mode for the next read, and reports whether that read
// may block its thread.
func (r *nearReader) blocks() bool {
	want := r.near()
	if want == r.blocking || want && !r.slots.acquire() {
		return r.blocking
	}
	if want {
		if r.toBlocking() != nil {
			r.slots.release()
		}
	} else if r.toPoller() == nil {
		r.slots.release()
	}
	return r.blocking // it reads as it did if the change failed
}

// done gives back the slot of a reader that is no longer read, and the
// poller's duplicate: base is left for its owner to close.
func (r *nearReader) done() {
	if r.blocking {
		r.blocking = false
		r.slots.release()
	}
	if r.pol != nil {
		r.pol.Close()
		r.pol = nil
	}
}

// poll polls the output, in blocking mode, until it holds bytes or d has
// passed: the next read then finds them without sleeping.
func (r *nearReader) poll(d time.Duration) { spin.Readable(r.fd, d) }

func (r *nearReader) Read(p []byte) (int, error) {
	if r.blocks() {
		return r.base.Read(p) // read(2) on a blocking descriptor
	}
	return r.pol.Read(p)
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
