//go:build race

package cond

import (
	"runtime"
	"sync"
	"unsafe"
)

// The race detector cannot see synchronisation through atomics on memory
// outside the Go heap, such as the shared mapping, so the shared lock and
// barrier tell it about their happens-before edges on a heap key per
// object, as sync.Mutex does internally.

func raceAcquire(key unsafe.Pointer)      { runtime.RaceAcquire(key) }
func raceReleaseMerge(key unsafe.Pointer) { runtime.RaceReleaseMerge(key) }

// raceKeyTable maps a region file's identity to its objects' keys, so two
// mappings of one region in a process share keys. Race builds only: the
// entries are never freed.
var raceKeyTable sync.Map

func raceKeysFor(id fileID) *[MaxObjects]uint64 {
	keys, _ := raceKeyTable.LoadOrStore(id, new([MaxObjects]uint64))
	return keys.(*[MaxObjects]uint64)
}
