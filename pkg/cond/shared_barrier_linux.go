package cond

import (
	"context"
	"fmt"
	"sync/atomic"
	"unsafe"
)

// SharedBarrier is a Barrier in a Region, usable from several processes and
// from several goroutines in each. Get one from Region.Barrier.
//
// Its state machine is CPython's (filling, resetting, broken) under a
// robust lock in the region. Waiters sleep on one futex word without the
// lock and see their release in the generation word, so a release wakes
// every process in one FUTEX_WAKE. A broken generation's waiters are
// counted out before Reset starts the next generation, so a late waiter
// never mistakes a later generation's release for its own.
type SharedBarrier struct {
	r       *Region
	o       *object
	inside  []atomic.Uint32 // arrivals per process slot (see regionLayout)
	members []atomic.Uint64 // a bit per process slot that opened it
	key     unsafe.Pointer  // race-detector key, shared by handles of one object
}

var _ Barrier = (*SharedBarrier)(nil)

// Wait implements Barrier.Wait. Under a context from WithSpin it spins
// before it sleeps. A barrier broken by a dead party returns a
// *PartyDiedError. While a Reset drains a broken generation, Wait blocks
// until the drain ends (or returns ctx.Err() without breaking anything).
// It returns ErrClosed when the region is closed.
func (b *SharedBarrier) Wait(ctx context.Context) (int, uint64, error) {
	if !b.r.enter() {
		return -1, 0, ErrClosed
	}
	defer b.r.exit()
	raceReleaseMerge(b.key)
	bb := &b.o.barrier
	for {
		idx, g, state, err := b.arrive()
		switch {
		case err != nil || idx < 0:
			return -1, g, err
		case state == barrierResetting:
			if err := b.r.waitUntil(ctx, &b.o.seq, allBits, func() bool { return bb.state.Load() != barrierResetting }); err != nil {
				return -1, g, err
			}
			continue
		case idx+1 == b.Parties():
			raceAcquire(b.key)
			return idx, g, nil
		}
		ended := func() bool { return bb.gen.Load() != g || bb.state.Load() != barrierFilling }
		var werr error
		if d := spinOf(ctx); d <= 0 || !spinUntil(ctx, d, ended) {
			werr = b.r.waitUntil(ctx, &b.o.seq, allBits, ended)
		}
		if bb.gen.Load() != g { // released: gen moves on a release or a drained reset only
			raceAcquire(b.key)
			return idx, g, nil
		}
		return b.leave(idx, g, werr)
	}
}

// arrive counts the caller in, releasing everyone if it is the last party.
// It returns state barrierResetting, without arriving, while a reset drains.
func (b *SharedBarrier) arrive() (idx int, g uint64, state uint32, err error) {
	if err := b.lock(); err != nil {
		return -1, 0, 0, err
	}
	defer b.unlock()
	bb := &b.o.barrier
	g, state = bb.gen.Load(), bb.state.Load()
	switch state {
	case barrierResetting:
		return 0, g, state, nil
	case barrierBroken:
		return -1, g, state, b.brokenErr()
	}
	idx = int(b.arrived())
	b.inside[b.r.slot].Add(1)
	if idx+1 == b.Parties() {
		b.release()
	}
	return idx, g, state, nil
}

// leave ends a wait that was not released: the barrier broke, or the
// caller's ctx ended first, which breaks it for everyone.
func (b *SharedBarrier) leave(idx int, g uint64, werr error) (int, uint64, error) {
	if err := b.lock(); err != nil {
		return -1, g, err
	}
	defer b.unlock()
	bb := &b.o.barrier
	if bb.gen.Load() != g { // released while we reached the lock
		raceAcquire(b.key)
		return idx, g, nil
	}
	err := b.brokenErr()
	if bb.state.Load() == barrierFilling {
		b.breakLocked(0, "")
		err = ErrBroken
		if werr != nil {
			err = fmt.Errorf("%w: %w", ErrBroken, werr)
		}
	}
	if mine := &b.inside[b.r.slot]; mine.Load() > 0 { // 0 only after a dead holder's half-done update
		mine.Add(^uint32(0))
	}
	if bb.state.Load() == barrierResetting && b.arrived() == 0 {
		b.finishReset()
	}
	return -1, g, err
}

// Abort implements Barrier.Abort.
func (b *SharedBarrier) Abort() {
	if !b.r.enter() {
		return
	}
	defer b.r.exit()
	if b.lock() == nil {
		b.breakLocked(0, "")
		b.unlock()
	}
}

// Reset implements Barrier.Reset. Waiters of the current generation are
// broken out; the new generation starts once they have all left.
func (b *SharedBarrier) Reset() {
	if !b.r.enter() {
		return
	}
	defer b.r.exit()
	if b.lock() != nil {
		return
	}
	defer b.unlock()
	if b.arrived() > 0 {
		b.o.barrier.state.Store(barrierResetting)
		b.wake()
		return
	}
	b.finishReset()
}

// Broken implements Barrier.Broken.
func (b *SharedBarrier) Broken() bool { return b.o.barrier.state.Load() == barrierBroken }

// Parties implements Barrier.Parties.
func (b *SharedBarrier) Parties() int { return int(b.o.barrier.parties.Load()) }

// Waiting implements Barrier.Waiting.
func (b *SharedBarrier) Waiting() int {
	if b.o.barrier.state.Load() != barrierFilling {
		return 0
	}
	return int(b.arrived())
}
