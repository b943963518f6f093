package cond_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/cond"
	"golang.org/x/sys/unix"
)

func TestRegionNames(t *testing.T) {
	r := newRegion(t)
	c1, err := r.Cond("c")
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := r.Cond("c")
	ctx := testCtx(t)
	if err := c1.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if err := c2.Lock(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second handle's Lock = %v, want DeadlineExceeded: same name, same lock", err)
	}
	c1.Unlock()
	if _, err := r.Barrier("b", 2); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []func() error{
		func() error { _, err := r.Barrier("c", 2); return err },
		func() error { _, err := r.Cond("b"); return err },
		func() error { _, err := r.Barrier("b", 3); return err },
		func() error { _, err := r.Barrier("z", 0); return err },
		func() error { _, err := r.Cond(""); return err },
		func() error { _, err := r.Cond(strings.Repeat("x", cond.MaxNameLen+1)); return err },
	} {
		if err := bad(); err == nil {
			t.Error("bad name or parties accepted")
		}
	}
	for i := 2; i < cond.MaxObjects; i++ {
		if _, err := r.Cond(fmt.Sprint("c", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Cond("one-too-many"); !errors.Is(err, cond.ErrRegionFull) {
		t.Fatalf("Cond in a full region = %v, want ErrRegionFull", err)
	}
}

// Close interrupts this process's waits and is idempotent; a second
// mapping of the same region in the process is unaffected.
func TestRegionClose(t *testing.T) {
	r, err := cond.NewRegion(testProcs)
	if err != nil {
		t.Fatal(err)
	}
	dup, err := unix.Dup(int(r.File().Fd()))
	if err != nil {
		t.Fatal(err)
	}
	r2, err := cond.OpenRegion(os.NewFile(uintptr(dup), "dup"))
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	c, _ := r.Cond("c")
	b, _ := r.Barrier("b", 2)
	ctx := testCtx(t)
	var cerr, berr error
	var queued bool // guarded by c's lock
	var g group
	g.Go(func() {
		if err := c.Lock(ctx); err != nil {
			t.Error(err)
			return
		}
		queued = true
		cerr = c.Wait(ctx)
	})
	g.Go(func() { _, _, berr = b.Wait(ctx) })
	c2, _ := r2.Cond("c") // same lock, through the second mapping
	b2, _ := r2.Barrier("b", 2)
	eventually(t, "cond waiter", func() bool { return locked(t, c2, func() bool { return queued }) })
	eventually(t, "barrier waiter", func() bool { return b2.Waiting() == 1 })
	for range 2 {
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	g.Wait(t)
	if cerr != cond.ErrClosed || !errors.Is(berr, cond.ErrClosed) || !errors.Is(berr, cond.ErrBroken) {
		t.Fatalf("waits interrupted by Close = %v, %v", cerr, berr)
	}
	if err := c.Lock(ctx); err != cond.ErrClosed {
		t.Fatalf("Lock after Close = %v", err)
	}
	if err := c2.Lock(ctx); err != nil {
		t.Fatalf("Lock through the other mapping = %v", err)
	}
	c2.Unlock()
	if !b2.Broken() {
		t.Fatal("barrier left by a closing waiter is not broken")
	}
}

func TestOpenRegionRejectsOtherFiles(t *testing.T) {
	for name, size := range map[string]int64{"wrong-size": 100, "no-magic": 0} {
		t.Run(name, func(t *testing.T) {
			fd, err := unix.MemfdCreate("junk", unix.MFD_CLOEXEC)
			if err != nil {
				t.Fatal(err)
			}
			f := os.NewFile(uintptr(fd), "junk")
			if size == 0 {
				r := newRegion(t)
				st, _ := r.File().Stat()
				size = st.Size()
			}
			if err := f.Truncate(size); err != nil {
				t.Fatal(err)
			}
			if _, err := cond.OpenRegion(f); !errors.Is(err, cond.ErrBadRegion) {
				t.Fatalf("OpenRegion = %v, want ErrBadRegion", err)
			}
		})
	}
}

func TestTooManyWaiters(t *testing.T) {
	r := newRegion(t)
	c, _ := r.Cond("c")
	ctx, cancel := context.WithCancel(testCtx(t))
	w := startWaiters(t, c, cond.MaxWaiters, ctx)
	err := locked(t, c, func() error { return c.Wait(ctx) })
	if !errors.Is(err, cond.ErrTooManyWaiters) {
		t.Fatalf("Wait on a full queue = %v, want ErrTooManyWaiters", err)
	}
	cancel()
	w.g.Wait(t)
}

func TestProcessDiedArguments(t *testing.T) {
	r := newRegion(t)
	for _, pid := range []int{0, -1, os.Getpid(), 1 << 30} {
		if err := r.ProcessDied(pid, "x"); err == nil {
			t.Errorf("ProcessDied(%d) accepted", pid)
		}
	}
	if err := r.ProcessDied(os.Getppid(), "unregistered"); err != nil {
		t.Errorf("ProcessDied of an unregistered pid = %v", err)
	}
}

func TestNowIsMonotonic(t *testing.T) {
	a := cond.Now()
	time.Sleep(time.Millisecond)
	if b := cond.Now(); b-a < int64(time.Millisecond) {
		t.Fatalf("Now advanced %dns over a 1ms sleep", b-a)
	}
}
