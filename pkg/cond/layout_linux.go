package cond

import (
	"sync/atomic"
	"unsafe"
)

// Limits of a Region, fixed by its layout.
const (
	MaxProcs     = 64 // processes registered at once, coordinator included
	MaxObjects   = 32 // named conds and barriers
	MaxWaiters   = 64 // waiters queued on one cond
	MaxNameLen   = 32 // bytes in an object name
	MaxStatusLen = 48 // bytes of a death status kept; longer ones are cut
)

const (
	layoutMagic   = 0x444e4f43454e4952 // "RINECOND" little-endian
	layoutVersion = 1
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

// layout is the whole shared region. Every field that more than one
// process touches is an atomic or is guarded by a lock word in the region;
// the version check in OpenRegion makes both sides agree on this struct.
type layout struct {
	magic   uint64
	version uint32
	size    uint32
	maxima  [4]uint32     // MaxProcs, MaxObjects, MaxWaiters, MaxNameLen
	lock    atomic.Uint32 // robust lock guarding procs and object allocation
	_       uint32
	procs   [MaxProcs]procSlot
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
// read gen and state without it to see their release.
type barrierBody struct {
	parties   atomic.Uint32
	state     atomic.Uint32
	deadPID   atomic.Uint32 // first party whose death broke the barrier
	_         uint32
	gen       atomic.Uint64
	members   atomic.Uint64 // bit i: process slot i opened the barrier
	statusLen uint32
	_         uint32
	status    [MaxStatusLen]byte
	// inside[i] counts process slot i's arrivals in this generation that
	// have not left. Their sum is the only arrival count, so a process
	// dying between two updates cannot leave two counts disagreeing.
	inside [MaxProcs]atomic.Uint32
}

// regionSize is the mapping size, rounded up to whole pages.
var regionSize = (int(unsafe.Sizeof(layout{})) + 4095) &^ 4095

func (o *object) nameString() string { return string(o.name[:o.nameLen]) }

func setStatus(dst *[MaxStatusLen]byte, n *uint32, s string) {
	*n = uint32(copy(dst[:], s))
}
