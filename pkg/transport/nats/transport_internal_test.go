package nats

import (
	"testing"

	"github.com/brinehq/brine/pkg/transport/nats/natsserver"
)

// The coordinator reaches a server it embeds within its process, through
// no socket, and a server it was given by URL alone through the network.
func TestCoordinatorConnectsInProcess(t *testing.T) {
	srv, err := natsserver.Start(natsserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(Config{URLs: []string{srv.ClientURL()}, Server: srv, Local: AllLocal})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
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
