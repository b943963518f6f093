package cond

import (
	"sync/atomic"
	"unsafe"
)

// Limits of a Region. A region is made for a number of processes
// (NewRegion), at most MaxProcs; the other limits are fixed.
const (
	MaxProcs     = 1 << 14 // processes a region can be made for, coordinator included
	MaxObjects   = 32      // named conds and barriers
	MaxWaiters   = 64      // waiters queued on one cond
	MaxNameLen   = 32      // bytes in an object name
	MaxStatusLen = 48      // bytes of a death status kept; longer ones are cut
)

const (
	layoutMagic   = 0x444e4f43454e4952 // "RINECOND" little-endian
	layoutVersion = 2
)

// Object kinds.
const (
	kindFree uint32 = iota
	kindCond
	kindBarrier
)

// Process slot states.
const (
	slotFree uint32 = iota
	slotAlive
	slotDead
)

// Cond waiter entry states.
const (
	waiterFree uint32 = iota
	waiterWaiting
	waiterNotified
)

// Barrier states, as in CPython's Barrier._state.
const (
	barrierFilling uint32 = iota
	barrierResetting
	barrierBroken
)

// layout is the head of the shared region. Every field that more than one
// process touches is an atomic or is guarded by a lock word in the region;
// the version check in OpenRegion makes both sides agree on this struct.
//
// After it come the parts whose length is the region's number of process
// slots, procs (see regionLayout): the slots, then for each object its
// barrier's arrivals per slot, then for each object its barrier's members,
// a bit per slot.
type layout struct {
	magic   uint64
	version uint32
	size    uint32        // bytes mapped
	maxima  [4]uint32     // procs, MaxObjects, MaxWaiters, MaxNameLen
	lock    atomic.Uint32 // robust lock guarding procs and object allocation
	_       uint32
	objects [MaxObjects]object
}

// procSlot registers one participating process.
type procSlot struct {
	pid       atomic.Uint32
	state     atomic.Uint32 // slotFree, slotAlive or slotDead
	statusLen uint32
	_         uint32
	status    [MaxStatusLen]byte // how it died, once slotDead
}

// object is one named cond or barrier. Both bodies are always present; the
// unused one costs about a kilobyte and saves a union.
type object struct {
	kind    atomic.Uint32 // set last when allocating, so a half-made entry stays free
	nameLen uint32
	name    [MaxNameLen]byte
	lock    atomic.Uint32 // the cond's lock, or the barrier's internal lock
	seq     atomic.Uint32 // futex word sleepers wait on; bumped on every wake
	cond    condBody
	barrier barrierBody
}

// condBody is a cond's waiter queue. Entries are claimed and resolved with
// the cond's lock held; only ProcessDied frees entries without it, and only
// those of a dead process.
type condBody struct {
	nextTicket atomic.Uint64
	waiters    [MaxWaiters]waiterEntry
}

// waiterEntry is one queued waiter; entry i sleeps on seq with bit i%32 so
// Notify wakes exactly the chosen waiters in one FUTEX_WAKE_BITSET.
type waiterEntry struct {
	state  atomic.Uint32
	slot   atomic.Uint32 // process slot of the waiter
	ticket atomic.Uint64 // arrival order
}

// barrierBody is a barrier's state, guarded by object.lock; waiters also
// read gen and state without it to see their release. Its arrivals, a
// word per process slot, and its members, a bit per slot, follow the
// objects (see regionLayout).
type barrierBody struct {
	parties   atomic.Uint32
	state     atomic.Uint32
	deadPID   atomic.Uint32 // first party whose death broke the barrier
	_         uint32
	gen       atomic.Uint64
	statusLen uint32
	_         uint32
	status    [MaxStatusLen]byte
}

// regionLayout is where the parts of a region made for procs processes
// lie, in bytes from its start. Its size is rounded up to whole pages.
//
// A barrier's arrivals are counted per slot: inside[i] counts slot i's
// arrivals in this generation that have not left. Their sum is the only
// arrival count, so a process dying between two updates cannot leave two
// counts disagreeing.
type regionLayout struct {
	procs                  int
	slots, inside, members uintptr // offsets of the three arrays
	size                   int
}

func layoutFor(procs int) regionLayout {
	words := uintptr(procs+63) / 64
	l := regionLayout{procs: procs, slots: unsafe.Sizeof(layout{})}
	l.inside = l.slots + uintptr(procs)*unsafe.Sizeof(procSlot{})
	l.members = (l.inside + MaxObjects*uintptr(procs)*4 + 7) &^ 7
	l.size = int(l.members+MaxObjects*words*8+4095) &^ 4095
	return l
}

// view returns the arrays of a region mapped at mem: the process slots,
// and each object's arrivals and members.
func (l regionLayout) view(mem []byte) (slots []procSlot, inside [MaxObjects][]atomic.Uint32, members [MaxObjects][]atomic.Uint64) {
	base := unsafe.Pointer(&mem[0])
	slots = unsafe.Slice((*procSlot)(unsafe.Add(base, l.slots)), l.procs)
	words := (l.procs + 63) / 64
	for i := range MaxObjects {
		inside[i] = unsafe.Slice((*atomic.Uint32)(unsafe.Add(base, l.inside+uintptr(i*l.procs)*4)), l.procs)
		members[i] = unsafe.Slice((*atomic.Uint64)(unsafe.Add(base, l.members+uintptr(i*words)*8)), words)
	}
	return slots, inside, members
}

func (o *object) nameString() string { return string(o.name[:o.nameLen]) }

func setStatus(dst *[MaxStatusLen]byte, n *uint32, s string) {
	*n = uint32(copy(dst[:], s))
}
