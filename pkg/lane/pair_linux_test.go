package lane

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// reopen maps p's file a second time, as a worker that inherited it would.
func reopen(t *testing.T, p *Pair) *Pair {
	t.Helper()
	fd, err := unix.Dup(int(p.File().Fd()))
	if err != nil {
		t.Fatal(err)
	}
	q, err := Open(os.NewFile(uintptr(fd), "dup"))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestPairBothWays(t *testing.T) {
	p, err := New(0)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	q := reopen(t, p)
	defer q.Close()
	if err := p.CloseFile(); err != nil {
		t.Fatal(err)
	}
	cw, cr := p.Coordinator()
	wr, ww := q.Worker()

	down := bytes.Repeat([]byte("task"), 1<<18) // 1 MiB
	pos, buf, ok := cw.Reserve(len(down))
	if !ok {
		t.Fatal("no room for 1 MiB in a fresh down ring")
	}
	ref := cw.Commit(pos, len(append(buf, down...)))
	got, err := wr.Slice(ref)
	if err != nil || !bytes.Equal(got, down) {
		t.Fatalf("worker read %d bytes, %v; want the 1 MiB written", len(got), err)
	}
	wr.Release(ref.End())
	if m := p.h.down.Load(); m != ref.End() {
		t.Errorf("coordinator sees down released to %d, want %d", m, ref.End())
	}

	up := []byte("result")
	pos, buf, _ = ww.Reserve(len(up))
	ref = ww.Commit(pos, len(append(buf, up...)))
	if got, err := cr.Slice(ref); err != nil || !bytes.Equal(got, up) {
		t.Fatalf("coordinator read %q, %v; want %q", got, err, up)
	}
}

func TestOpenRefusesOtherFiles(t *testing.T) {
	unsealed := func() *os.File {
		fd, err := unix.MemfdCreate("x", unix.MFD_CLOEXEC)
		if err != nil {
			t.Fatal(err)
		}
		f := os.NewFile(uintptr(fd), "x")
		if err := f.Truncate(headerSize + 2*DefaultSize); err != nil {
			t.Fatal(err)
		}
		return f
	}
	path := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(path, make([]byte, headerSize+2*4096), 0o600); err != nil {
		t.Fatal(err)
	}
	plain, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(4096)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	q := reopen(t, p)
	q.h.magic = 0 // a file of another layout
	q.Close()

	for name, f := range map[string]*os.File{"unsealed": unsealed(), "plain": plain} {
		if q, err := Open(f); !errors.Is(err, ErrBadPair) {
			t.Errorf("%s file: Open = %v, %v; want ErrBadPair", name, q, err)
		}
	}
	fd, _ := unix.Dup(int(p.File().Fd()))
	if q, err := Open(os.NewFile(uintptr(fd), "dup")); !errors.Is(err, ErrBadPair) {
		t.Errorf("bad magic: Open = %v, %v; want ErrBadPair", q, err)
	}
}

func TestCloseTwice(t *testing.T) {
	p, err := New(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
