package nats

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/brinehq/brine/pkg/transport/nats/natsserver"
)

// embedded returns a transport over a server of its own, closed with the
// test, and the server.
func embedded(t *testing.T) (*Transport, *natsserver.Server) {
	t.Helper()
	srv, err := natsserver.Start(natsserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(Config{URLs: []string{srv.ClientURL()}, Server: srv, Local: AllLocal})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr, srv
}

// The coordinator reaches a server it embeds within its process, through
// no socket, and a server it was given by URL alone through the network.
func TestCoordinatorConnectsInProcess(t *testing.T) {
	tr, srv := embedded(t)
	if addr := tr.nc.ConnectedAddr(); addr != "pipe" {
		t.Errorf("the coordinator's connection to its embedded server is to %q, want an in-process pipe", addr)
	}
	other, err := New(Config{URLs: []string{srv.ClientURL()}, Local: AllLocal})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if addr := other.nc.ConnectedAddr(); addr != srv.Addr().String() {
		t.Errorf("a coordinator given the server's URL alone is connected to %q, want %s", addr, srv.Addr())
	}
}

// The results of the same tasks of the same message, published by two
// workers, are stored once: their message id names them (resultsID);
// results of other tasks, or of the same tasks in another message, or
// without that id, are stored whatever else came before.
func TestResultsOfTheSameTasksAreStoredOnce(t *testing.T) {
	tr, _ := embedded(t)
	subject := tr.run.subject(fromWorker, queueMember)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stored := func(want uint64) {
		t.Helper()
		info, err := tr.out.Info(ctx, jetstream.WithSubjectFilter(subject))
		if err != nil {
			t.Fatal(err)
		}
		if got := info.State.Subjects[subject]; got != want {
			t.Errorf("%d messages of results stored, want %d", got, want)
		}
	}
	publish := func(worker string, id string) {
		t.Helper()
		s := newSender(tr.js, subject, maxPayload(tr.nc), time.Minute)
		s.name += "." + worker
		defer s.close()
		hdr := nats.Header{}
		if id != "" {
			hdr.Set(jetstream.MsgIDHeader, id)
		}
		if err := s.sendMsg(ctx, []byte("results"), hdr, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	publish("m1", resultsID(1, 7, 1))
	publish("m2", resultsID(1, 7, 1))
	stored(1)
	publish("m2", resultsID(1, 7, 2))
	publish("m2", resultsID(2, 7, 1))
	publish("m2", resultsID(1, 8, 1))
	stored(4)
	publish("m1", "")
	publish("m2", "")
	stored(6)
}
