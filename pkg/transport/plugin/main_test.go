package plugin_test

import (
	"io"
	"os"
	"testing"

	_ "github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/transport/plugin"
	"github.com/brinehq/brine/pkg/transport/transporttest"
	"github.com/brinehq/brine/pkg/wire"
	"github.com/brinehq/brine/pkg/worker"
)

// Environment of the test binary run as a worker.
const (
	envLaterHello = "BRINE_PLUGIN_TEST_LATER" // the worker says it speaks wire.Version+1
)

// TestMain makes the test binary its own worker: the transport re-executes
// it with wire.EnvMarker and go-plugin's magic cookie set, and Main serves
// through go-plugin. The rest is the conformance suite's
// (transporttest.Main): its workers, and its coordinator, over net/rpc.
func TestMain(m *testing.M) {
	if worker.IsWorker() && os.Getenv(envLaterHello) != "" {
		os.Exit(worker.Main(worker.WithOutput(func(w io.Writer) io.Writer { return &laterHello{w: w} })))
	}
	transporttest.Main(m, conformant(plugin.NetRPC))
}

// conformant returns the conformance suite's factory of transports of
// protocol.
func conformant(protocol plugin.Protocol) transporttest.Factory {
	return func() (transport.Transport, error) { return plugin.New(plugin.Config{Protocol: protocol}) }
}

// The plugin transport passes the conformance suite, over either protocol.
func TestConformance(t *testing.T) {
	for _, protocol := range []plugin.Protocol{plugin.NetRPC, plugin.GRPC} {
		t.Run(string(protocol), func(t *testing.T) { transporttest.Run(t, conformant(protocol)) })
	}
}

// laterHello replaces the worker's Hello, its first write, by the Hello of
// a worker built from a later protocol.
type laterHello struct {
	w    io.Writer
	done bool
}

func (l *laterHello) Write(p []byte) (int, error) {
	if l.done {
		return l.w.Write(p)
	}
	l.done = true
	hello, _ := wire.AppendHello(nil, wire.Hello{Version: wire.Version + 1, PID: os.Getpid()})
	if _, err := l.w.Write(hello); err != nil {
		return 0, err
	}
	return len(p), nil
}
