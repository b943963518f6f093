package pool

import "testing"

// A worker's GODEBUG adds madvdontneed=0 before the coordinator's own
// settings, which the runtime applies left to right: the user's win.
func TestWorkerGODEBUG(t *testing.T) {
	for own, want := range map[string]string{
		"":                         "madvdontneed=0",
		"gctrace=1":                "madvdontneed=0,gctrace=1",
		"madvdontneed=1,x=y":       "madvdontneed=0,madvdontneed=1,x=y",
		"madvdontneed=1,inittrace": "madvdontneed=0,madvdontneed=1,inittrace",
	} {
		if got := workerGODEBUG(own); got != want {
			t.Errorf("workerGODEBUG(%q) = %q, want %q", own, got, want)
		}
	}
}
