package cond

import (
	"context"
	"fmt"
	"unsafe"
)

// Cond returns the cross-process condition variable called name, creating
// it on first use. name must be 1 to MaxNameLen bytes. It fails with an
// error wrapping ErrRegionFull when MaxObjects names are taken, and when
// name is already a barrier.
func (r *Region) Cond(name string) (*SharedCond, error) {
	i, err := r.object(name, kindCond, 0)
	if err != nil {
		return nil, err
	}
	return &SharedCond{r: r, o: &r.l.objects[i], key: r.raceKey(i)}, nil
}

// Barrier returns the cross-process barrier called name for parties
// parties, creating it on first use, and records the calling process as a
// member: if it dies, ProcessDied breaks the barrier. It fails when name is
// a cond or a barrier with another number of parties, when parties is out
// of 1..MaxProcs*MaxWaiters, and with ErrRegionFull when MaxObjects names
// are taken.
func (r *Region) Barrier(name string, parties int) (*SharedBarrier, error) {
	if parties < 1 || parties > MaxProcs*MaxWaiters {
		return nil, fmt.Errorf("cond: barrier %q: parties %d out of range 1..%d", name, parties, MaxProcs*MaxWaiters)
	}
	i, err := r.object(name, kindBarrier, uint32(parties))
	if err != nil {
		return nil, err
	}
	return r.barrier(i), nil
}

// barrier returns a handle on object i, a barrier.
func (r *Region) barrier(i int) *SharedBarrier {
	return &SharedBarrier{r: r, o: &r.l.objects[i], inside: r.inside[i], members: r.members[i], key: r.raceKey(i)}
}

// raceKey returns the race-detector key of object i.
func (r *Region) raceKey(i int) unsafe.Pointer { return unsafe.Pointer(&r.raceKeys[i]) }

// object finds or allocates the named object under the region lock and
// returns its index.
func (r *Region) object(name string, kind, parties uint32) (int, error) {
	if len(name) == 0 || len(name) > MaxNameLen {
		return -1, fmt.Errorf("cond: name %q: want 1 to %d bytes", name, MaxNameLen)
	}
	if !r.enter() {
		return -1, ErrClosed
	}
	defer r.exit()
	if err := r.lockWord(context.Background(), &r.l.lock); err != nil && err != ErrOwnerDead {
		return -1, err
	}
	defer r.unlockWord(&r.l.lock)
	free := -1
	for i := range r.l.objects {
		o := &r.l.objects[i]
		switch k := o.kind.Load(); {
		case k == kindFree:
			if free < 0 {
				free = i
			}
		case o.nameString() != name:
		case k != kind:
			return -1, fmt.Errorf("cond: %q is already a %s, not a %s", name, kindName(k), kindName(kind))
		case k == kindBarrier && o.barrier.parties.Load() != parties:
			return -1, fmt.Errorf("cond: barrier %q has %d parties, not %d", name, o.barrier.parties.Load(), parties)
		default:
			return r.attach(i), nil
		}
	}
	if free < 0 {
		return -1, fmt.Errorf("%w: all %d names taken; use fewer names or a second region", ErrRegionFull, MaxObjects)
	}
	o := &r.l.objects[free]
	o.nameLen = uint32(copy(o.name[:], name))
	o.barrier.parties.Store(parties)
	o.kind.Store(kind)
	return r.attach(free), nil
}

// attach makes this process a member of object i if it is a barrier, and
// returns i.
func (r *Region) attach(i int) int {
	if r.l.objects[i].kind.Load() == kindBarrier {
		r.members[i][r.slot/64].Or(1 << (r.slot % 64))
	}
	return i
}

func kindName(k uint32) string {
	if k == kindCond {
		return "cond"
	}
	return "barrier"
}
