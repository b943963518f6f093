package cond_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/brinehq/brine/pkg/cond"
)

// Child roles. A child opens the region from fd 3, reports on stdout one
// line per event, and exits 0 when its role went as the parent expects.
var roles = map[string]func(ctx context.Context, r *cond.Region) error{
	"barrier":           roleBarrier,
	"member":            roleMember,
	"cond-wait":         roleCondWait,
	"hold-lock":         roleHoldLock,
	"hold-barrier-lock": roleHoldBarrierLock,
}

func runHelper(role string) int {
	f, ok := roles[role]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown helper role %q\n", role)
		return 2
	}
	r, err := cond.OpenRegion(os.NewFile(3, "brine-cond"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*hangLimit)
	defer cancel()
	if err := f(ctx, r); err != nil {
		fmt.Fprintf(os.Stderr, "helper %s: %v\n", role, err)
		return 1
	}
	return 0
}

func envInt(name string) int {
	n, _ := strconv.Atoi(os.Getenv(name))
	return n
}

// roleBarrier waits BRINE_COND_ROUNDS times on barrier "b", printing
// "round gen idx" per round, or "died pid status now" and stopping if a
// party died.
func roleBarrier(ctx context.Context, r *cond.Region) error {
	b, err := r.Barrier("b", envInt("BRINE_COND_PARTIES"))
	if err != nil {
		return err
	}
	fmt.Println("ready")
	for round := range envInt("BRINE_COND_ROUNDS") {
		idx, gen, err := b.Wait(ctx)
		var died *cond.PartyDiedError
		if errors.As(err, &died) {
			fmt.Printf("died %d %q %d\n", died.PID, died.Status, cond.Now())
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Println(round, gen, idx)
	}
	return nil
}

// roleMember joins barrier "b" without ever arriving, then idles.
func roleMember(ctx context.Context, r *cond.Region) error {
	if _, err := r.Barrier("b", envInt("BRINE_COND_PARTIES")); err != nil {
		return err
	}
	fmt.Println("ready")
	<-ctx.Done()
	return ctx.Err()
}

// roleCondWait prints "ready" holding cond "c"'s lock, so once the parent
// gets the lock the child is queued, then waits and prints "woken".
func roleCondWait(ctx context.Context, r *cond.Region) error {
	c, err := r.Cond("c")
	if err != nil {
		return err
	}
	if err := c.Lock(ctx); err != nil {
		return err
	}
	defer c.Unlock()
	fmt.Println("ready")
	if err := c.Wait(ctx); err != nil {
		return err
	}
	fmt.Println("woken")
	return nil
}

// roleHoldLock takes cond "c"'s lock and keeps it until killed.
func roleHoldLock(ctx context.Context, r *cond.Region) error {
	c, err := r.Cond("c")
	if err != nil {
		return err
	}
	if err := c.Lock(ctx); err != nil {
		return err
	}
	fmt.Println("locked")
	time.Sleep(time.Hour)
	return nil
}

// roleHoldBarrierLock joins barrier "b", takes its internal lock and keeps
// it until killed.
func roleHoldBarrierLock(ctx context.Context, r *cond.Region) error {
	b, err := r.Barrier("b", envInt("BRINE_COND_PARTIES"))
	if err != nil {
		return err
	}
	if err := b.LockInternals(); err != nil {
		return err
	}
	fmt.Println("locked")
	time.Sleep(time.Hour)
	return nil
}
