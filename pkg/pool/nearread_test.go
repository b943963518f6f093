package pool

import (
	"errors"
	"io"
	"os"
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

// TestNearReaderModes reads a pipe through a nearReader while near flips:
// each read returns what was written, with the descriptor blocking exactly
// while near, and the end of the pipe reads as io.EOF in either mode.
func TestNearReaderModes(t *testing.T) {
	for _, endNear := range []bool{false, true} {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		var near atomic.Bool
		r, err := newNearReader(pr, near.Load)
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
			if nb := nonblocking(t, pr); nb == n {
				t.Fatalf("read %d: near %v, yet the descriptor's non-blocking flag is %v", i, n, nb)
			}
		}
		near.Store(endNear)
		pw.Close()
		if k, err := r.Read(buf); k != 0 || !errors.Is(err, io.EOF) {
			t.Errorf("near %v: read at the end of the pipe: %d, %v; want 0, io.EOF", endNear, k, err)
		}
		pr.Close()
	}
}

// TestNearReaderWaits: a blocking read waits for a write that comes later.
func TestNearReaderWaits(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	r, err := newNearReader(pr, func() bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		pw.Write([]byte("late"))
	}()
	buf := make([]byte, 8)
	k, err := r.Read(buf)
	if err != nil || string(buf[:k]) != "late" {
		t.Fatalf("read %q, %v; want \"late\"", buf[:k], err)
	}
}
