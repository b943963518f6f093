package cond_test

import (
	"testing"

	"github.com/brinehq/brine/pkg/cond"
	natst "github.com/brinehq/brine/pkg/transport/nats"
	"github.com/brinehq/brine/pkg/transport/nats/natsserver"
)

// The conformance suite also runs the conds and barriers of the nats
// transport, kept on a NATS server (pkg/transport/nats), with goroutines
// of this process sharing a fresh run's objects per test.
func init() {
	impls = append(impls, impl{
		name: "nats",
		newCond: func(t testing.TB) cond.Cond {
			c, err := natsObjects(t).Cond("cond")
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		newBarrier: func(t testing.TB, parties int) cond.Barrier {
			b, err := natsObjects(t).Barrier("barrier", parties)
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
	})
}

// natsObjects returns the objects of a run on a server of its own, both
// closed when the test ends.
func natsObjects(t testing.TB) cond.Objects {
	t.Helper()
	srv, err := natsserver.Start(natsserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := natst.New(natst.Config{URLs: []string{srv.ClientURL()}, Server: srv})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tr.Close(); err != nil {
			t.Error(err)
		}
	})
	return tr.Objects()
}
