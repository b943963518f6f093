package nats_test

import (
	"testing"

	_ "github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/transport"
	natst "github.com/brinehq/brine/pkg/transport/nats"
	"github.com/brinehq/brine/pkg/transport/nats/natsserver"
	"github.com/brinehq/brine/pkg/transport/transporttest"
)

// TestMain makes the test binary its own worker, and its own NATS server
// for the cluster tests (roles); the rest is the conformance suite's.
func TestMain(m *testing.M) {
	runRole()
	transporttest.Main(m, embedded)
}

// embedded is the conformance suite's factory: a transport over a server
// of its own, every worker a process of this machine.
func embedded() (transport.Transport, error) {
	srv, err := natsserver.Start(natsserver.Config{})
	if err != nil {
		return nil, err
	}
	return natst.New(natst.Config{URLs: []string{srv.ClientURL()}, Server: srv, Local: natst.AllLocal})
}

// The transport passes the conformance suite on an embedded server.
func TestConformance(t *testing.T) { transporttest.Run(t, embedded) }
