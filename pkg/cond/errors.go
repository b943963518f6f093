package cond

import (
	"errors"
	"fmt"
)

var (
	// ErrBroken is returned by Barrier.Wait when the barrier is broken by
	// Abort, Reset, a party whose ctx ended, or a party that died.
	ErrBroken = errors.New("cond: barrier broken")

	// ErrOwnerDead is returned by Lock, with the lock held, when the
	// previous holder's process died while holding it. The data the lock
	// guards may be half-updated: repair or discard it, then carry on.
	ErrOwnerDead = errors.New("cond: previous lock holder died; state may be inconsistent")

	// ErrClosed is returned by operations on a Region after Close, and by
	// waits that Close interrupted; the lock is not held after it.
	ErrClosed = errors.New("cond: region closed")

	// ErrRegionFull is returned when a Region has no free process slot or
	// object slot left.
	ErrRegionFull = errors.New("cond: region full")

	// ErrTooManyWaiters is returned by a cross-process Cond.Wait, without
	// releasing the lock, when MaxWaiters waiters are already queued.
	ErrTooManyWaiters = errors.New("cond: too many waiters")

	// ErrBadRegion is returned by OpenRegion for a file that is not a
	// region of this layout.
	ErrBadRegion = errors.New("cond: not a brine cond region")
)

// PartyDiedError is returned by a cross-process Barrier.Wait when the
// barrier broke because a process that had joined it died. It matches
// ErrBroken with errors.Is.
type PartyDiedError struct {
	PID    int    // process id of the dead party
	Status string // how it ended, as reported to Region.ProcessDied; "" if the barrier broke before that
}

// Error describes the dead party.
func (e *PartyDiedError) Error() string {
	status := e.Status
	if status == "" {
		status = "how it ended is not yet known"
	}
	return fmt.Sprintf("cond: barrier broken: party pid %d died (%s); Reset the barrier once the party is replaced", e.PID, status)
}

// Unwrap returns ErrBroken, so errors.Is(err, ErrBroken) holds.
func (e *PartyDiedError) Unwrap() error { return ErrBroken }
