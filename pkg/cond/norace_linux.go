//go:build !race

package cond

import "unsafe"

func raceAcquire(unsafe.Pointer)      {}
func raceReleaseMerge(unsafe.Pointer) {}

var noRaceKeys [MaxObjects]uint64

func raceKeysFor(fileID) *[MaxObjects]uint64 { return &noRaceKeys }
