package cond_test

import (
	"context"
	"testing"
	"time"

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

// And with barrier waits that spin before they sleep (cond.WithSpin): long
// enough that most waits of the suite end while spinning, short enough that
// the longer ones sleep too.
func init() {
	shared := impls[len(impls)-1]
	impls = append(impls, impl{
		name:    "shared+spin",
		newCond: shared.newCond,
		newBarrier: func(t testing.TB, parties int) cond.Barrier {
			return spinning{shared.newBarrier(t, parties)}
		},
	})
}

type spinning struct{ cond.Barrier }

func (s spinning) Wait(ctx context.Context) (int, uint64, error) {
	return s.Barrier.Wait(cond.WithSpin(ctx, 20*time.Millisecond))
}

// testProcs is the number of processes the tests' regions are made for:
// more than 64, so that a barrier's members take more than one word.
const testProcs = 100

func newRegion(t testing.TB) *cond.Region {
	t.Helper()
	r, err := cond.NewRegion(testProcs)
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
