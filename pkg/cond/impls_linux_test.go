package cond_test

import (
	"testing"

	"github.com/brinehq/brine/pkg/cond"
)

// The conformance suite also runs the cross-process implementation, with
// goroutines of this process sharing a fresh region per test.
func init() {
	impls = append(impls, impl{
		name: "shared",
		newCond: func(t testing.TB) cond.Cond {
			c, err := newRegion(t).Cond("cond")
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		newBarrier: func(t testing.TB, parties int) cond.Barrier {
			b, err := newRegion(t).Barrier("barrier", parties)
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
	})
}

func newRegion(t testing.TB) *cond.Region {
	t.Helper()
	r, err := cond.NewRegion()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	return r
}
