package cond

import (
	"context"
	"fmt"
	"sync"
)

// LocalBarrier is the in-process Barrier, for goroutines. Create it with
// NewBarrier; the zero value is not usable.
type LocalBarrier struct {
	parties int
	mu      sync.Mutex
	cur     *localGen // the generation arrivals join; guarded by mu
}

// localGen is one generation. Each waiter keeps a pointer to its own, so
// the outcome it reads stays right even after later generations start.
type localGen struct {
	no   uint64
	n    int           // arrivals so far
	done chan struct{} // closed on release or break
	err  error         // nil on release; set before done is closed
}

var _ Barrier = (*LocalBarrier)(nil)

// NewBarrier returns an in-process barrier for parties goroutines. It
// panics if parties < 1, as Python raises ValueError.
func NewBarrier(parties int) *LocalBarrier {
	if parties < 1 {
		panic(fmt.Sprintf("cond: NewBarrier: parties %d < 1", parties))
	}
	return &LocalBarrier{parties: parties, cur: newLocalGen(0)}
}

func newLocalGen(no uint64) *localGen {
	return &localGen{no: no, done: make(chan struct{})}
}

// Wait implements Barrier.Wait.
func (b *LocalBarrier) Wait(ctx context.Context) (int, uint64, error) {
	b.mu.Lock()
	g := b.cur
	if g.err != nil {
		b.mu.Unlock()
		return -1, g.no, g.err
	}
	idx := g.n
	g.n++
	if g.n == b.parties {
		close(g.done)
		b.cur = newLocalGen(g.no + 1)
		b.mu.Unlock()
		return idx, g.no, nil
	}
	b.mu.Unlock()
	select {
	case <-g.done:
		return g.result(idx)
	case <-ctx.Done():
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-g.done: // released or broken while we reached the lock
		return g.result(idx)
	default:
	}
	g.breakWith(ErrBroken)
	return -1, g.no, fmt.Errorf("%w: %w", ErrBroken, ctx.Err())
}

func (g *localGen) result(idx int) (int, uint64, error) {
	if g.err != nil {
		return -1, g.no, g.err
	}
	return idx, g.no, nil
}

// breakWith breaks g unless it already ended; callers hold the barrier's mu.
func (g *localGen) breakWith(err error) {
	select {
	case <-g.done:
	default:
		g.err = err
		close(g.done)
	}
}

// Abort implements Barrier.Abort.
func (b *LocalBarrier) Abort() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cur.breakWith(ErrBroken)
}

// Reset implements Barrier.Reset.
func (b *LocalBarrier) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cur.breakWith(ErrBroken)
	b.cur = newLocalGen(b.cur.no + 1)
}

// Broken implements Barrier.Broken.
func (b *LocalBarrier) Broken() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cur.err != nil
}

// Parties implements Barrier.Parties.
func (b *LocalBarrier) Parties() int { return b.parties }

// Waiting implements Barrier.Waiting.
func (b *LocalBarrier) Waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur.err != nil {
		return 0
	}
	return b.cur.n
}
