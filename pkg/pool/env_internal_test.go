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

// Workers share the coordinator's processors, each at least one.
func TestWorkerProcs(t *testing.T) {
	for _, c := range []struct{ procs, n, want int }{
		{2, 2, 1}, {8, 2, 4}, {8, 3, 2}, {2, 8, 1}, {1, 1, 1}, {4, 0, 4},
	} {
		if got := workerProcs(c.procs, c.n); got != c.want {
			t.Errorf("workerProcs(%d, %d) = %d, want %d", c.procs, c.n, got, c.want)
		}
	}
}
