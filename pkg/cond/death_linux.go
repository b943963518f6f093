package cond

import (
	"context"
	"fmt"
)

// ProcessDied tells the region that process pid has exited; status says
// how, such as exec.ExitError's "signal: killed" or "exit status 3" (the
// first MaxStatusLen bytes are kept). The coordinator calls it after
// cmd.Wait returns for each worker that had opened the region. It
//
//   - frees every lock pid held, so the next Lock returns ErrOwnerDead;
//   - breaks every barrier pid had joined (through Region.Barrier) that has
//     waiters or that pid was waiting in, so its waiters, now and until
//     Reset, get a *PartyDiedError with pid and status; barriers nobody
//     waits in are left alone, since a worker that finished its rounds and
//     exited is no failure;
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
	for i := range r.l.objects {
		recoverWord(&r.l.objects[i].lock, p)
	}
	slot := r.slotOf(p)
	if slot < 0 {
		return nil
	}
	for i := range r.l.objects {
		o := &r.l.objects[i]
		switch o.kind.Load() {
		case kindCond:
			dropWaiters(o, slot)
		case kindBarrier:
			if err := (&SharedBarrier{r: r, o: o}).partyDied(slot, p, status); err != nil {
				return err
			}
		}
	}
	return r.markDead(slot, p, status)
}

// slotOf returns pid's live process slot, or -1.
func (r *Region) slotOf(pid uint32) int {
	for i := range r.l.procs {
		p := &r.l.procs[i]
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
	p := &r.l.procs[slot]
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
	bit := uint64(1) << slot
	if bb.members.Load()&bit == 0 {
		return nil
	}
	err := b.r.lockWord(context.Background(), &b.o.lock)
	if err != nil && err != ErrOwnerDead {
		return err
	}
	defer b.unlock()
	bb.members.And(^bit)
	n := bb.inside[slot].Swap(0)
	left := b.arrived()
	switch state := bb.state.Load(); {
	case err == ErrOwnerDead, state == barrierFilling && (n > 0 || left > 0):
		// It died waiting, or others wait for it, or mid-update: no
		// generation can complete as counted.
		b.breakLocked(pid, status)
	case state == barrierResetting && left == 0:
		b.finishReset()
	}
	return nil
}
