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
	o, key, err := r.object(name, kindCond, 0)
	if err != nil {
		return nil, err
	}
	return &SharedCond{r: r, o: o, key: key}, nil
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
	o, key, err := r.object(name, kindBarrier, uint32(parties))
	if err != nil {
		return nil, err
	}
	return &SharedBarrier{r: r, o: o, key: key}, nil
}

// object finds or allocates the named object under the region lock.
func (r *Region) object(name string, kind, parties uint32) (*object, unsafe.Pointer, error) {
	if len(name) == 0 || len(name) > MaxNameLen {
		return nil, nil, fmt.Errorf("cond: name %q: want 1 to %d bytes", name, MaxNameLen)
	}
	if !r.enter() {
		return nil, nil, ErrClosed
	}
	defer r.exit()
	if err := r.lockWord(context.Background(), &r.l.lock); err != nil && err != ErrOwnerDead {
		return nil, nil, err
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
			return nil, nil, fmt.Errorf("cond: %q is already a %s, not a %s", name, kindName(k), kindName(kind))
		case k == kindBarrier && o.barrier.parties.Load() != parties:
			return nil, nil, fmt.Errorf("cond: barrier %q has %d parties, not %d", name, o.barrier.parties.Load(), parties)
		default:
			return r.attach(o, i)
		}
	}
	if free < 0 {
		return nil, nil, fmt.Errorf("%w: all %d names taken; use fewer names or a second region", ErrRegionFull, MaxObjects)
	}
	o := &r.l.objects[free]
	o.nameLen = uint32(copy(o.name[:], name))
	o.barrier.parties.Store(parties)
	o.kind.Store(kind)
	return r.attach(o, free)
}

// attach makes this process a member of barrier o (a no-op for conds) and
// returns o with its race-detector key.
func (r *Region) attach(o *object, i int) (*object, unsafe.Pointer, error) {
	if o.kind.Load() == kindBarrier {
		o.barrier.members.Or(1 << r.slot)
	}
	return o, unsafe.Pointer(&r.raceKeys[i]), nil
}

func kindName(k uint32) string {
	if k == kindCond {
		return "cond"
	}
	return "barrier"
}
