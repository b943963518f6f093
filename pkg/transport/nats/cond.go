package nats

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/brinehq/brine/pkg/cond"
)

// natsCond is a cond.Cond whose lock, waiters and notifications are a key
// of the run's bucket (Objects).
type natsCond struct {
	o   *Objects
	key string

	mu   sync.Mutex
	held string // the ticket of this handle's goroutine holding the lock, or ""
}

var _ cond.Cond = (*natsCond)(nil)

var errBusy = errors.New("held")

// Lock takes the lock, waiting until it is free or ctx ends; a free lock
// is taken even if ctx has ended. It returns cond.ErrOwnerDead, holding
// the lock, when its last holder's worker ended holding it.
func (c *natsCond) Lock(ctx context.Context) error {
	_, err := c.acquire(ctx, "")
	return err
}

// acquire takes the lock; with a waiter's ticket, it also takes the
// ticket out of the cond's waiters and reports whether it was notified.
func (c *natsCond) acquire(ctx context.Context, waiter string) (woken bool, err error) {
	t := c.o.ticket()
	for {
		died := false
		_, err := c.o.update(context.Background(), c.key, func(s *state) error {
			if s.Holder != "" {
				return errBusy
			}
			s.Holder, died, s.OwnerDied = t, s.OwnerDied, false
			if waiter != "" {
				woken = slices.Contains(s.Woken, waiter)
				s.Woken = slices.DeleteFunc(s.Woken, func(x string) bool { return x == waiter })
				s.Waiters = slices.DeleteFunc(s.Waiters, func(x string) bool { return x == waiter })
			}
			return nil
		})
		switch {
		case err == nil:
			c.mu.Lock()
			c.held = t
			c.mu.Unlock()
			if died {
				return woken, cond.ErrOwnerDead
			}
			return woken, nil
		case !errors.Is(err, errBusy):
			return false, err
		}
		if _, err := c.o.await(ctx, c.key, func(s state) bool { return s.Holder == "" }); err != nil {
			return false, err
		}
	}
}

// holder returns the ticket holding the lock through this handle, and
// panics when there is none: the API's misuse.
func (c *natsCond) holder(what string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held == "" {
		panic("nats: " + what + " of a cond whose lock is not held")
	}
	return c.held
}

// Unlock releases the lock. Unlocking an unlocked lock panics.
func (c *natsCond) Unlock() {
	t := c.holder("Unlock")
	c.mu.Lock()
	c.held = ""
	c.mu.Unlock()
	c.o.update(context.Background(), c.key, func(s *state) error {
		if s.Holder != t {
			return errUnchanged // freed already: its worker was taken for gone
		}
		s.Holder = ""
		return nil
	})
}

// Wait releases the lock and joins the waiters in one change, waits for a
// notification or ctx's end, then takes the lock again whatever ctx says.
// A notification that comes before it has the lock again is not lost.
func (c *natsCond) Wait(ctx context.Context) error {
	t := c.holder("Wait")
	w := c.o.ticket()
	c.mu.Lock()
	c.held = ""
	c.mu.Unlock()
	if _, err := c.o.update(context.Background(), c.key, func(s *state) error {
		if s.Holder == t {
			s.Holder = ""
		}
		s.Waiters = append(s.Waiters, w)
		return nil
	}); err != nil {
		c.acquire(context.Background(), "")
		return err
	}
	_, werr := c.o.await(ctx, c.key, func(s state) bool { return slices.Contains(s.Woken, w) })
	woken, err := c.acquire(context.Background(), w)
	switch {
	case woken:
		return err
	case werr != nil:
		return werr
	}
	return err
}

// WaitFor calls Wait until pred, called with the lock held, holds.
func (c *natsCond) WaitFor(ctx context.Context, pred func() bool) (bool, error) {
	for !pred() {
		if err := c.Wait(ctx); err != nil {
			return pred(), err
		}
	}
	return true, nil
}

// Notify wakes at most n of the current waiters, oldest first.
func (c *natsCond) Notify(n int) {
	c.holder("Notify")
	if n <= 0 {
		return
	}
	c.o.update(context.Background(), c.key, func(s *state) error {
		if len(s.Waiters) == 0 {
			return errUnchanged
		}
		n := min(n, len(s.Waiters))
		s.Woken = append(s.Woken, s.Waiters[:n]...)
		s.Waiters = s.Waiters[n:]
		return nil
	})
}

// NotifyAll wakes every current waiter.
func (c *natsCond) NotifyAll() {
	c.holder("NotifyAll")
	c.o.update(context.Background(), c.key, func(s *state) error {
		if len(s.Waiters) == 0 {
			return errUnchanged
		}
		s.Woken = append(s.Woken, s.Waiters...)
		s.Waiters = nil
		return nil
	})
}
