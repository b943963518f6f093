package nats

import (
	"context"
	"fmt"
	"slices"

	"github.com/brinehq/brine/pkg/cond"
)

// natsBarrier is a cond.Barrier whose parties and generation are a key of
// the run's bucket (Objects).
type natsBarrier struct {
	o       *Objects
	key     string
	parties int
}

var _ cond.Barrier = (*natsBarrier)(nil)

// Wait arrives at the barrier and waits for its release. See cond.Barrier.
func (b *natsBarrier) Wait(ctx context.Context) (int, uint64, error) {
	t := b.o.ticket()
	var idx int
	var gen uint64
	released := false
	s, err := b.o.update(context.Background(), b.key, func(s *state) error {
		if s.Broken {
			return brokenError(*s)
		}
		idx, gen = len(s.Arrived), s.Gen
		s.Arrived = append(s.Arrived, t)
		if released = len(s.Arrived) == s.Parties; released {
			s.Gen++
			s.Arrived = nil
		}
		return nil
	})
	switch {
	case err != nil:
		return -1, s.Gen, err
	case released:
		return idx, gen, nil
	}
	s, werr := b.o.await(ctx, b.key, func(s state) bool { return s.Gen > gen || s.Broken })
	if werr != nil {
		// A party whose ctx ends breaks the barrier for all, unless the
		// release came first.
		s, err = b.o.update(context.Background(), b.key, func(s *state) error {
			if s.Gen > gen || s.Broken {
				return errUnchanged
			}
			s.Broken = true
			return nil
		})
		if err != nil {
			return -1, gen, err
		}
	}
	switch {
	case s.Gen > gen && !slices.Contains(s.BrokenGens, gen):
		return idx, gen, nil
	case werr != nil:
		return -1, gen, fmt.Errorf("%w: %w", cond.ErrBroken, werr)
	case s.Gen > gen:
		return -1, gen, cond.ErrBroken // Reset
	}
	return -1, gen, brokenError(s)
}

func brokenError(s state) error {
	if s.DiedPID != 0 || s.DiedStatus != "" {
		return &cond.PartyDiedError{PID: s.DiedPID, Status: s.DiedStatus}
	}
	return cond.ErrBroken
}

// Abort breaks the barrier until Reset.
func (b *natsBarrier) Abort() {
	b.o.update(context.Background(), b.key, func(s *state) error {
		if s.Broken {
			return errUnchanged
		}
		s.Broken = true
		return nil
	})
}

// Reset starts a new generation; the parties waiting get cond.ErrBroken.
func (b *natsBarrier) Reset() {
	b.o.update(context.Background(), b.key, func(s *state) error {
		if len(s.Arrived) > 0 || s.Broken {
			s.BrokenGens = append(s.BrokenGens, s.Gen)
			if len(s.BrokenGens) > maxBrokenGens {
				s.BrokenGens = s.BrokenGens[1:]
			}
		}
		s.Gen++
		s.Arrived, s.Broken, s.DiedPID, s.DiedStatus = nil, false, 0, ""
		return nil
	})
}

// Broken reports whether the barrier is broken.
func (b *natsBarrier) Broken() bool { return b.now().Broken }

// Parties returns the number of parties the barrier releases.
func (b *natsBarrier) Parties() int { return b.parties }

// Waiting returns how many parties wait in the current generation.
func (b *natsBarrier) Waiting() int { return len(b.now().Arrived) }

// now returns the barrier's state as the server has it.
func (b *natsBarrier) now() state {
	ctx, cancel := context.WithTimeout(context.Background(), 2*callTimeout)
	defer cancel()
	kv, err := b.o.store(ctx)
	if err != nil {
		return state{}
	}
	e, err := b.o.get(ctx, kv, b.key)
	if err != nil {
		return state{}
	}
	return e.s
}
