package cond_test

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/cond"
)

// N worker processes pass a barrier R times; in every round their arrival
// indexes are a permutation and their generations agree.
func TestProcessesBarrierRounds(t *testing.T) {
	const n, rounds = 3, 20
	r := newRegion(t)
	var kids []*child
	for range n {
		kids = append(kids, startChild(t, r, "barrier", env("PARTIES", n), env("ROUNDS", rounds)))
	}
	for _, k := range kids {
		k.expect(t, "ready")
	}
	for round := range rounds {
		var idx []int
		for _, k := range kids {
			var gotRound, i int
			var gen uint64
			if _, err := fmt.Sscan(k.next(t), &gotRound, &gen, &i); err != nil || gotRound != round || gen != uint64(round) {
				t.Fatalf("child %d: round %d gen %d (%v), want round and gen %d", k.pid(), gotRound, gen, err, round)
			}
			idx = append(idx, i)
		}
		if slices.Sort(idx); !slices.Equal(idx, []int{0, 1, 2}) {
			t.Fatalf("round %d: indexes %v, want a permutation of 0..2", round, idx)
		}
	}
	for _, k := range kids {
		if err := k.wait(t); err != nil {
			t.Fatalf("child %d: %v", k.pid(), err)
		}
	}
}

// NotifyAll from the coordinator wakes waiters in every worker process.
func TestProcessesNotifyAll(t *testing.T) {
	r := newRegion(t)
	c, err := r.Cond("c")
	if err != nil {
		t.Fatal(err)
	}
	var kids []*child
	for range 3 {
		k := startChild(t, r, "cond-wait")
		k.expect(t, "ready")
		kids = append(kids, k)
	}
	// Each child said ready holding the lock; once we hold it, all are queued.
	locked(t, c, func() bool { c.NotifyAll(); return true })
	for _, k := range kids {
		k.expect(t, "woken")
		if err := k.wait(t); err != nil {
			t.Fatalf("child %d: %v", k.pid(), err)
		}
	}
}

// A worker SIGKILLed while others wait at a barrier breaks it; every waiter
// gets a PartyDiedError naming it once the coordinator reports the death.
func TestProcessDiedBreaksBarrier(t *testing.T) {
	for _, victimRole := range []string{"barrier", "member"} {
		t.Run("victim-"+victimRole, func(t *testing.T) {
			r := newRegion(t)
			const parties = 4 // 2 survivors + victim + one that never comes
			b, err := r.Barrier("b", parties)
			if err != nil {
				t.Fatal(err)
			}
			victim := startChild(t, r, victimRole, env("PARTIES", parties), env("ROUNDS", 1))
			victim.expect(t, "ready")
			var survivors []*child
			for range 2 {
				k := startChild(t, r, "barrier", env("PARTIES", parties), env("ROUNDS", 1))
				k.expect(t, "ready")
				survivors = append(survivors, k)
			}
			want := 2
			if victimRole == "barrier" {
				want = 3
			}
			eventually(t, "parties at the barrier", func() bool { return b.Waiting() == want })

			status := victim.kill(t)
			reported := cond.Now()
			victim.reportDeath(t, r, status)
			for _, k := range survivors {
				expectDeath(t, k, victim.pid(), reported)
			}
			checkBrokenByDeath(t, b, victim.pid())
		})
	}
}

// A member that dies between rounds, with nobody waiting, breaks the
// barrier only if those left are too few to fill it: then the next to
// arrive learns of the death instead of waiting for a party that is gone.
func TestProcessDiedBetweenRounds(t *testing.T) {
	for _, members := range []int{1, 2} { // children besides this process
		t.Run(fmt.Sprintf("members=%d", members+1), func(t *testing.T) {
			r := newRegion(t)
			const parties = 2
			b, err := r.Barrier("b", parties)
			if err != nil {
				t.Fatal(err)
			}
			var kids []*child
			for range members {
				k := startChild(t, r, "member", env("PARTIES", parties))
				k.expect(t, "ready")
				kids = append(kids, k)
			}
			kids[0].reportDeath(t, r, kids[0].kill(t))
			if members < parties { // left: this process and members-1 children
				checkBrokenByDeath(t, b, kids[0].pid())
				return
			}
			if b.Broken() {
				t.Fatal("a barrier that enough members remain for broke when one left")
			}
		})
	}
}

// A worker SIGKILLed inside the barrier's own bookkeeping, holding its
// internal lock, still breaks the barrier in its name, whether the
// coordinator reports the death at once or a waiter finds the holder dead
// first; ProcessDied then adds how it ended.
func TestProcessDiedHoldingBarrierLock(t *testing.T) {
	for _, late := range []bool{false, true} {
		t.Run(fmt.Sprintf("reported-late=%v", late), func(t *testing.T) {
			r := newRegion(t)
			const parties = 5 // 2 survivors, this process, the victim, one that never comes
			b, err := r.Barrier("b", parties)
			if err != nil {
				t.Fatal(err)
			}
			var survivors []*child
			for range 2 {
				k := startChild(t, r, "barrier", env("PARTIES", parties), env("ROUNDS", 1))
				k.expect(t, "ready")
				survivors = append(survivors, k)
			}
			eventually(t, "parties at the barrier", func() bool { return b.Waiting() == 2 })
			victim := startChild(t, r, "hold-barrier-lock", env("PARTIES", parties))
			victim.expect(t, "locked")
			var mine error
			var g group
			g.Go(func() { _, _, mine = b.Wait(testCtx(t)) }) // blocked on the internal lock
			time.Sleep(settle)

			status := victim.kill(t)
			if !late {
				victim.reportDeath(t, r, status)
			}
			for _, k := range survivors {
				var pid int
				var status string
				var at int64
				if _, err := fmt.Sscanf(k.expect(t, "died"), "died %d %q %d", &pid, &status, &at); err != nil {
					t.Fatal(err)
				}
				// Told before ProcessDied, a survivor cannot know how the
				// victim ended; at once, it knows unless this process's
				// lock poll found the victim dead in the few microseconds
				// between its reaping and ProcessDied.
				if pid != victim.pid() || late && status != "" || !late && status != "signal: killed" && status != "" {
					t.Errorf("survivor %d: died %d %q, want pid %d (late %v)", k.pid(), pid, status, victim.pid(), late)
				}
				if err := k.wait(t); err != nil {
					t.Fatalf("survivor %d: %v", k.pid(), err)
				}
			}
			g.Wait(t)
			var died *cond.PartyDiedError
			if !errors.As(mine, &died) || died.PID != victim.pid() {
				t.Fatalf("Wait blocked behind the victim = %v, want a PartyDiedError for %d", mine, victim.pid())
			}
			if late {
				victim.reportDeath(t, r, status)
			}
			checkBrokenByDeath(t, b, victim.pid())
		})
	}
}

// expectDeath checks that survivor k reports the victim's death and exits.
func expectDeath(t *testing.T, k *child, victim int, reported int64) {
	t.Helper()
	var pid int
	var status string
	var at int64
	if _, err := fmt.Sscanf(k.expect(t, "died"), "died %d %q %d", &pid, &status, &at); err != nil {
		t.Fatal(err)
	}
	if pid != victim || status != "signal: killed" {
		t.Fatalf("survivor %d: died %d %q, want %d %q", k.pid(), pid, status, victim, "signal: killed")
	}
	t.Logf("survivor %d told %v after ProcessDied", k.pid(), time.Duration(at-reported))
	if err := k.wait(t); err != nil {
		t.Fatalf("survivor %d: %v", k.pid(), err)
	}
}

// checkBrokenByDeath checks that b stays broken by pid until Reset.
func checkBrokenByDeath(t *testing.T, b *cond.SharedBarrier, pid int) {
	t.Helper()
	_, _, err := b.Wait(testCtx(t))
	var died *cond.PartyDiedError
	if !errors.As(err, &died) || died.PID != pid || died.Status != "signal: killed" || !errors.Is(err, cond.ErrBroken) || !b.Broken() {
		t.Fatalf("Wait after the death = %v (Broken %v), want PartyDiedError for %d, signal: killed", err, b.Broken(), pid)
	}
	b.Reset()
	if b.Broken() {
		t.Fatal("Broken after Reset")
	}
}

// A worker SIGKILLed holding a cond's lock: the next Lock returns
// ErrOwnerDead holding the lock, and the lock works afterwards. The death
// is learnt from ProcessDied, or, without it, from the reaped pid.
func TestProcessDiedHoldingLock(t *testing.T) {
	for _, report := range []bool{true, false} {
		t.Run(fmt.Sprintf("ProcessDied=%v", report), func(t *testing.T) {
			r := newRegion(t)
			c, err := r.Cond("c")
			if err != nil {
				t.Fatal(err)
			}
			ctx := testCtx(t)
			k := startChild(t, r, "hold-lock")
			k.expect(t, "locked")
			var lockErr error
			var g group
			g.Go(func() { lockErr = c.Lock(ctx) }) // blocked behind the child
			time.Sleep(settle)
			status := k.kill(t)
			if report {
				k.reportDeath(t, r, status)
			}
			g.Wait(t)
			if lockErr != cond.ErrOwnerDead {
				t.Fatalf("Lock after the holder died = %v, want ErrOwnerDead", lockErr)
			}
			c.Unlock()
			if err := c.Lock(ctx); err != nil {
				t.Fatalf("Lock after recovery = %v", err)
			}
			c.Unlock()
		})
	}
}

// A worker that dies waiting on a cond leaves the queue, so Notify(1)
// reaches a live waiter instead of the dead one.
func TestProcessDiedLeavesCondQueue(t *testing.T) {
	r := newRegion(t)
	c, err := r.Cond("c")
	if err != nil {
		t.Fatal(err)
	}
	k := startChild(t, r, "cond-wait")
	k.expect(t, "ready")
	locked(t, c, func() bool { return true }) // the child is queued now
	k.reportDeath(t, r, k.kill(t))
	w := startWaiters(t, c, 1, testCtx(t))
	locked(t, c, func() bool { c.Notify(1); return true })
	w.g.Wait(t)
	if w.errs[0] != nil {
		t.Fatalf("live waiter = %v", w.errs[0])
	}
}

func env(name string, v int) string { return "BRINE_COND_" + name + "=" + strconv.Itoa(v) }
