package cond

import "context"

// State transitions of a SharedBarrier; all run with its lock held.

// lock takes the barrier's internal lock. It is held only for a few
// instructions, so the wait ignores ctx. A holder that died may have left
// the state half-updated, so then the barrier is broken, in the dead
// holder's name when this process found it dead before ProcessDied
// (which then adds how it ended).
func (b *SharedBarrier) lock() error {
	dead, err := b.r.lockWordFrom(context.Background(), &b.o.lock)
	if err == ErrOwnerDead {
		b.breakLocked(dead, "")
		return nil
	}
	return err
}

func (b *SharedBarrier) unlock() { b.r.unlockWord(&b.o.lock) }

// release ends the generation successfully and wakes its waiters.
func (b *SharedBarrier) release() {
	b.clearCount()
	b.o.barrier.gen.Add(1) // before the wake: waiters test gen without the lock
	b.wake()
}

// breakLocked breaks the barrier, recording the first dead party if pid is
// not 0, and wakes every waiter.
func (b *SharedBarrier) breakLocked(pid uint32, status string) {
	bb := &b.o.barrier
	bb.state.Store(barrierBroken)
	if pid != 0 && bb.deadPID.Load() == 0 {
		setStatus(&bb.status, &bb.statusLen, status)
		bb.deadPID.Store(pid)
	}
	b.wake()
}

// finishReset starts a fresh generation once no waiter is left inside.
func (b *SharedBarrier) finishReset() {
	bb := &b.o.barrier
	bb.deadPID.Store(0)
	bb.statusLen = 0
	bb.state.Store(barrierFilling)
	b.clearCount()
	bb.gen.Add(1)
	b.wake()
}

// clearCount forgets every arrival of the current generation.
func (b *SharedBarrier) clearCount() {
	for i := range b.inside {
		b.inside[i].Store(0)
	}
}

// arrived is the number of arrivals in the current generation that have
// not left.
func (b *SharedBarrier) arrived() uint32 {
	var n uint32
	for i := range b.inside {
		n += b.inside[i].Load()
	}
	return n
}

// brokenErr is the error for waiters of a broken barrier.
func (b *SharedBarrier) brokenErr() error {
	bb := &b.o.barrier
	if pid := bb.deadPID.Load(); pid != 0 {
		return &PartyDiedError{PID: int(pid), Status: string(bb.status[:bb.statusLen])}
	}
	return ErrBroken
}

func (b *SharedBarrier) wake() {
	b.o.seq.Add(1)
	futexWake(&b.o.seq, wakeAll, allBits)
}
