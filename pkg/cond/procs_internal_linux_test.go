package cond

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fakePID is a pid no process has: above the kernel's pid_max limit
// (2^22), within a lock word's pid bits.
func fakePID(i int) uint32 { return 1<<29 + uint32(i) }

// openAs maps r's region as another process would, registered as pid.
func openAs(t *testing.T, r *Region, pid uint32) (*Region, error) {
	t.Helper()
	fd, err := unix.Dup(int(r.File().Fd()))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mapRegion(os.NewFile(uintptr(fd), "dup"))
	if err != nil {
		t.Fatal(err)
	}
	m.pid = pid
	m.view(layoutFor(int(m.l.maxima[0])))
	return m.registered()
}

// A region takes as many processes as it was made for, however many more
// than 64 that is, and refuses one more with a message that says what to
// do; every slot counts in a barrier, and the death of a party in a high
// slot breaks it in that party's name.
func TestRegionForManyProcesses(t *testing.T) {
	const procs = 1025
	r, err := NewRegion(procs)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Procs() != procs {
		t.Fatalf("Procs = %d, want %d", r.Procs(), procs)
	}
	others := make([]*Region, procs-1)
	for i := range others {
		if others[i], err = openAs(t, r, fakePID(i)); err != nil {
			t.Fatalf("process %d of %d: %v", i+2, procs, err)
		}
		defer others[i].Close()
	}
	_, err = openAs(t, r, fakePID(procs))
	if !errors.Is(err, ErrRegionFull) || !strings.Contains(err.Error(), "made for 1025 processes") {
		t.Fatalf("one process too many: %v, want ErrRegionFull naming the region's size", err)
	}

	// Every process but the last two waits; the coordinator arrives last.
	// They arrive one at a time: a lock waiter that finds the holder's pid
	// gone (as every fake one is) would take the lock as from a dead one.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang guard only
	defer cancel()
	parties := procs - 2
	b, err := r.Barrier("b", parties)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, parties)
	for i, o := range others[:parties-1] {
		ob, err := o.Barrier("b", parties)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			if _, _, err := ob.Wait(ctx); err != nil {
				errs <- err
			}
		})
		for b.Waiting() < i+1 && ctx.Err() == nil {
			runtime.Gosched()
		}
	}
	if _, _, err := b.Wait(ctx); err != nil {
		t.Fatalf("the last arrival: %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a waiter: %v", err)
	}

	// The member in slot 1000 dies while another member waits.
	waiter, _ := others[0].Barrier("b", parties)
	waited := make(chan error, 1)
	go func() { _, _, err := waiter.Wait(ctx); waited <- err }()
	for b.Waiting() < 1 {
		time.Sleep(time.Millisecond)
	}
	dead := others[999]
	if dead.slot != 1000 {
		t.Fatalf("the 1001st process has slot %d", dead.slot)
	}
	if err := r.ProcessDied(int(dead.pid), "signal: killed"); err != nil {
		t.Fatal(err)
	}
	var died *PartyDiedError
	if err := <-waited; !errors.As(err, &died) || died.PID != int(dead.pid) {
		t.Fatalf("the waiter got %v, want a PartyDiedError for pid %d", err, dead.pid)
	}
	// Its slot is free for a new process.
	if _, err := openAs(t, r, fakePID(procs)); err != nil {
		t.Fatalf("a process after one died: %v", err)
	}
}

func TestNewRegionProcs(t *testing.T) {
	for _, n := range []int{0, -1, MaxProcs + 1} {
		if r, err := NewRegion(n); err == nil {
			r.Close()
			t.Errorf("NewRegion(%d) succeeded", n)
		}
	}
	r, err := NewRegion(MaxProcs)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
}
