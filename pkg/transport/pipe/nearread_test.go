package pipe

import (
	"errors"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// nonblocking reports whether f's descriptor is in non-blocking mode.
func nonblocking(t *testing.T, f *os.File) bool {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var flags int
	var ferr error
	rc.Control(func(fd uintptr) { flags, ferr = unix.FcntlInt(fd, unix.F_GETFL, 0) })
	if ferr != nil {
		t.Fatal(ferr)
	}
	return flags&unix.O_NONBLOCK != 0
}

// polled reports whether descriptor fd is in one of this process's epoll
// sets, the runtime's poller's among them (by /proc/self/fdinfo).
func polled(t *testing.T, fd int) bool {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range fds {
		if target, _ := os.Readlink("/proc/self/fd/" + e.Name()); target != "anon_inode:[eventpoll]" {
			continue
		}
		info, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue // closed meanwhile
		}
		for line := range strings.Lines(string(info)) {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "tfd:" && f[1] == strconv.Itoa(fd) {
				return true
			}
		}
	}
	return false
}

// TestNearReaderModes reads a pipe through a nearReader while near flips:
// each read returns what was written, with the pipe blocking exactly while
// near and out of the poller then, in it otherwise, and the end of the pipe
// reads as io.EOF in either mode.
func TestNearReaderModes(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, endNear := range []bool{false, true} {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		var near atomic.Bool
		var slots blockSlots
		r, err := newNearReader(pr, near.Load, &slots)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		for i, n := range []bool{true, false, false, true, true, false} {
			near.Store(n)
			msg := []byte{byte('a' + i), byte(i)}
			if _, err := pw.Write(msg); err != nil {
				t.Fatal(err)
			}
			k, err := r.Read(buf)
			if err != nil || string(buf[:k]) != string(msg) {
				t.Fatalf("read %d (near %v): %q, %v; want %q", i, n, buf[:k], err, msg)
			}
			if nb := nonblocking(t, r.base); nb == n {
				t.Fatalf("read %d: near %v, yet the descriptor's non-blocking flag is %v", i, n, nb)
			}
			if polled(t, r.fd) {
				t.Fatalf("read %d: the reader's own descriptor is in the poller", i)
			}
			if inPoller := r.pol != nil && polled(t, int(r.pol.Fd())); inPoller == n {
				t.Fatalf("read %d: near %v, yet a duplicate in the poller: %v", i, n, inPoller)
			}
		}
		near.Store(endNear)
		pw.Close()
		if k, err := r.Read(buf); k != 0 || !errors.Is(err, io.EOF) {
			t.Errorf("near %v: read at the end of the pipe: %d, %v; want 0, io.EOF", endNear, k, err)
		}
		pol := r.pol
		r.done()
		if n := slots.n.Load(); n != 0 {
			t.Errorf("near %v: %d slots held after done", endNear, n)
		}
		if r.pol != nil || pol != nil && pol.Close() == nil {
			t.Errorf("near %v: the poller's duplicate is still open after done", endNear)
		}
		r.base.Close()
	}
}

// TestNearReaderWaits: a blocking read waits for a write that comes later.
func TestNearReaderWaits(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	r, err := newNearReader(pr, func() bool { return true }, new(blockSlots))
	if err != nil {
		t.Fatal(err)
	}
	defer r.base.Close()
	go func() {
		time.Sleep(20 * time.Millisecond)
		pw.Write([]byte("late"))
	}()
	buf := make([]byte, 8)
	k, err := r.Read(buf)
	if err != nil || string(buf[:k]) != "late" {
		t.Fatalf("read %q, %v; want \"late\"", buf[:k], err)
	}
	if !r.blocking || nonblocking(t, r.base) {
		t.Error("the read that waited was not a blocking one")
	}
}

// TestNearReaderSlots: no more readers block at once than leave the
// runtime a processor; a slot given back goes to the next that asks.
func TestNearReaderSlots(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	var slots blockSlots
	rs := make([]*nearReader, 3)
	for i := range rs {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer pw.Close()
		if rs[i], err = newNearReader(pr, func() bool { return true }, &slots); err != nil {
			t.Fatal(err)
		}
		defer rs[i].base.Close()
	}
	if !rs[0].blocks() || !rs[1].blocks() || rs[2].blocks() {
		t.Fatalf("with 3 processors, readers block: %v %v %v; want the first two", rs[0].blocking, rs[1].blocking, rs[2].blocking)
	}
	if nonblocking(t, rs[2].base) != true || nonblocking(t, rs[0].base) != false {
		t.Fatal("the descriptors' modes do not follow the readers'")
	}
	rs[0].done()
	if !rs[2].blocks() {
		t.Fatal("a slot given back did not go to the next reader")
	}
	runtime.GOMAXPROCS(1)
	rs[1].done()
	rs[2].done()
	if rs[0].blocks() {
		t.Fatal("a reader blocks with a single processor")
	}
}
