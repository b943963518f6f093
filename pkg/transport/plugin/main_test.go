package plugin_test

import (
	"io"
	"os"
	"testing"

	"go.uber.org/goleak"

	_ "github.com/brinehq/brine/pkg/jobs"
	_ "github.com/brinehq/brine/pkg/transport/plugin"
	"github.com/brinehq/brine/pkg/wire"
	"github.com/brinehq/brine/pkg/worker"
)

// Environment of the test binary run as a worker or a coordinator.
const (
	envRole       = "BRINE_PLUGIN_TEST_ROLE"     // "coordinator": see runCoordinator
	envProtocol   = "BRINE_PLUGIN_TEST_PROTOCOL" // the coordinator's plugin.Protocol
	envLaterHello = "BRINE_PLUGIN_TEST_LATER"    // the worker says it speaks wire.Version+1
)

// TestMain makes the test binary its own worker: the transport re-executes
// it with wire.EnvMarker and go-plugin's magic cookie set, and Main serves
// through go-plugin. With envRole=coordinator, it is a coordinator that a
// test kills (see runCoordinator).
func TestMain(m *testing.M) {
	if worker.IsWorker() {
		var opts []worker.Option
		if os.Getenv(envLaterHello) != "" {
			opts = append(opts, worker.WithOutput(func(w io.Writer) io.Writer { return &laterHello{w: w} }))
		}
		os.Exit(worker.Main(opts...))
	}
	if os.Getenv(envRole) == "coordinator" {
		os.Exit(runCoordinator())
	}
	goleak.VerifyTestMain(m)
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
