package cond

import (
	"context"
	"fmt"
	"math/bits"
)

// ProcessDied tells the region that process pid has exited; status says
// how, such as exec.ExitError's "signal: killed" or "exit status 3" (the
// first MaxStatusLen bytes are kept). The coordinator calls it after
// cmd.Wait returns for each worker that had opened the region. It
//
//   - frees every lock pid held, so the next Lock returns ErrOwnerDead;
//   - breaks every barrier pid had joined (through Region.Barrier) that
//     has waiters, that pid was waiting in, or that has fewer live members
//     than parties without it, so its waiters, now and until Reset, get a
//     *PartyDiedError with pid and status; a barrier nobody waits in and
//     that enough members remain for is left alone, since a worker that
//     finished its rounds and exited is no failure;
//   - drops pid's entries from cond waiter queues (a notification already
//     sent to one of them is lost with the process);
//   - frees pid's process slot for reuse.
//
// A pid that never registered only has its locks freed. ProcessDied blocks
// only while other processes hold a barrier's internal lock, for a few
// instructions. It fails for the calling process's own pid, for a pid out
// of range, and with ErrClosed after Close.
func (r *Region) ProcessDied(pid int, status string) error {
	if pid <= 0 || pid > lockPIDMask || uint32(pid) == r.pid {
		return fmt.Errorf("cond: ProcessDied(%d): not another process's pid", pid)
	}
	if !r.enter() {
		return ErrClosed
	}
	defer r.exit()
	p := uint32(pid)
	recoverWord(&r.l.lock, p)
	slot := r.slotOf(p)
	// Barriers first: a barrier lock pid died holding is taken straight
	// from it, so the break names pid. Freed with an owner-died mark
	// instead, the lock could go first to a waiter that knows no name.
	if slot >= 0 {
		for i := range r.l.objects {
			if r.l.objects[i].kind.Load() == kindBarrier {
				if err := r.barrier(i).partyDied(slot, p, status); err != nil {
					return err
				}
			}
		}
	}
	for i := range r.l.objects {
		o := &r.l.objects[i]
		recoverWord(&o.lock, p)
		if slot >= 0 && o.kind.Load() == kindCond {
			dropWaiters(o, slot)
		}
	}
	if slot < 0 {
		return nil
	}
	return r.markDead(slot, p, status)
}

// slotOf returns pid's live process slot, or -1.
func (r *Region) slotOf(pid uint32) int {
	for i := range r.procs {
		p := &r.procs[i]
		if p.state.Load() == slotAlive && p.pid.Load() == pid {
			return i
		}
	}
	return -1
}

// markDead records the death and frees the slot, last, so no new process
// can take the slot while the dead one's traces are being cleared.
func (r *Region) markDead(slot int, pid uint32, status string) error {
	if err := r.lockWord(context.Background(), &r.l.lock); err != nil && err != ErrOwnerDead {
		return err
	}
	defer r.unlockWord(&r.l.lock)
	p := &r.procs[slot]
	if p.pid.Load() == pid {
		setStatus(&p.status, &p.statusLen, status)
		p.state.Store(slotDead)
	}
	return nil
}

// dropWaiters frees the cond waiter entries of a dead process slot. It
// runs without the cond's lock: an entry of a dead process changes hands
// only here. Loading state before slot matters: a claim stores slot before
// state, so a waiting entry seen with the dead slot is the dead one's.
func dropWaiters(o *object, slot int) {
	for i := range o.cond.waiters {
		w := &o.cond.waiters[i]
		st := w.state.Load()
		if st != waiterFree && w.slot.Load() == uint32(slot) {
			w.state.CompareAndSwap(st, waiterFree)
		}
	}
}

// partyDied removes a dead member from the barrier and breaks it if anyone
// was waiting on it.
func (b *SharedBarrier) partyDied(slot int, pid uint32, status string) error {
	bb := &b.o.barrier
	word, bit := &b.members[slot/64], uint64(1)<<(slot%64)
	if word.Load()&bit == 0 {
		return nil
	}
	var err error
	if b.r.takeFromDead(&b.o.lock, pid) {
		err = ErrOwnerDead // it died mid-update
	} else if err = b.r.lockWord(context.Background(), &b.o.lock); err != nil && err != ErrOwnerDead {
		return err
	}
	defer b.unlock()
	word.And(^bit)
	members := 0
	for i := range b.members {
		members += bits.OnesCount64(b.members[i].Load())
	}
	n := b.inside[slot].Swap(0)
	left := b.arrived()
	switch state := bb.state.Load(); {
	case err == ErrOwnerDead, state == barrierFilling && (n > 0 || left > 0 || members < b.Parties()):
		// It died mid-update, or waiting, or others wait for it, or those
		// left are too few to fill the barrier: no generation can complete
		// as counted. (Between rounds, the survivors are on their way.)
		b.breakLocked(pid, status)
	case state == barrierResetting && left == 0:
		b.finishReset()
	}
	if bb.deadPID.Load() == pid && bb.statusLen == 0 {
		// A waiter found it dead first and broke the barrier in its name;
		// now say how it ended.
		setStatus(&bb.status, &bb.statusLen, status)
	}
	return nil
}
