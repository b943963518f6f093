package cond

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Objects hands out the named conds and barriers that every worker of a run
// shares. A pool gives one to each task through its context (FromContext):
// a LocalObjects in thread mode, a Region's in process mode, so task code is
// the same in both.
type Objects interface {
	// Cond returns the condition variable called name, creating it on
	// first use.
	Cond(name string) (Cond, error)
	// Barrier returns the barrier called name for parties parties,
	// creating it on first use; asking again with another count fails.
	Barrier(name string, parties int) (Barrier, error)
}

// ErrNoObjects is returned by FromContext for a context that carries none:
// the task was not started by a pool.
var ErrNoObjects = errors.New("cond: no shared conds or barriers here: run the task through a pool")

type objectsKey struct{}

// NewContext returns a context that carries o to the task that receives it.
func NewContext(ctx context.Context, o Objects) context.Context {
	return context.WithValue(ctx, objectsKey{}, o)
}

// FromContext returns the objects shared by the run that ctx belongs to.
func FromContext(ctx context.Context) (Objects, error) {
	if o, ok := ctx.Value(objectsKey{}).(Objects); ok {
		return o, nil
	}
	return nil, ErrNoObjects
}

// LocalObjects is Objects for goroutines of one process. The zero value is
// ready to use.
type LocalObjects struct {
	mu       sync.Mutex
	conds    map[string]*LocalCond
	barriers map[string]*LocalBarrier
}

// Cond returns the in-process condition variable called name.
func (l *LocalObjects) Cond(name string) (Cond, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conds == nil {
		l.conds = make(map[string]*LocalCond)
	}
	c, ok := l.conds[name]
	if !ok {
		c = NewCond()
		l.conds[name] = c
	}
	return c, nil
}

// Barrier returns the in-process barrier called name.
func (l *LocalObjects) Barrier(name string, parties int) (Barrier, error) {
	if parties < 1 {
		return nil, fmt.Errorf("cond: barrier %q needs at least one party, not %d", name, parties)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.barriers == nil {
		l.barriers = make(map[string]*LocalBarrier)
	}
	b, ok := l.barriers[name]
	if !ok {
		b = NewBarrier(parties)
		l.barriers[name] = b
	} else if b.Parties() != parties {
		return nil, fmt.Errorf("cond: barrier %q has %d parties, not %d", name, b.Parties(), parties)
	}
	return b, nil
}
