package spin_test

import (
	"os"
	"testing"
	"time"

	"github.com/brinehq/brine/internal/spin"
)

func pipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

func TestReadable(t *testing.T) {
	r, w := pipe(t)
	fd := int(r.Fd())
	if spin.Readable(fd, time.Millisecond) {
		t.Fatal("an empty pipe is readable")
	}
	if _, err := w.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if !spin.Readable(fd, time.Hour) {
		t.Fatal("a pipe holding a byte is not readable")
	}
	if spin.Readable(fd, 0) {
		t.Fatal("no time to poll, yet readable")
	}
}

// TestReadableSeesALateWrite has the bytes written while Readable polls:
// it must return true, long before its bound.
func TestReadableSeesALateWrite(t *testing.T) {
	r, w := pipe(t)
	done := make(chan bool)
	go func() { done <- spin.Readable(int(r.Fd()), time.Hour) }()
	time.Sleep(time.Millisecond)
	if _, err := w.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if !<-done {
		t.Fatal("the write was not seen")
	}
}

func TestReadableNotAPipe(t *testing.T) {
	f, err := os.Open(os.DevNull) // FIONREAD fails on it
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if spin.Readable(int(f.Fd()), time.Hour) {
		t.Fatal("a device that cannot be polled polled readable")
	}
}
