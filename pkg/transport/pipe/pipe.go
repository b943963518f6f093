package pipe

import (
	"context"
	"fmt"
	"os"

	"github.com/brinehq/brine/internal/cgroup"
	"github.com/brinehq/brine/pkg/transport"
)

// Config configures a Transport. The zero value runs this very executable
// as the worker, with lanes.
type Config struct {
	// Command is the worker program and its arguments. Default: this
	// executable (os.Executable), which becomes a worker when it calls
	// worker.Main under worker.IsWorker.
	Command []string
	// NoLanes gives workers no shared-memory lanes: every payload goes
	// in frames.
	NoLanes bool
}

// Transport starts worker processes connected by pipes. One serves one
// pool; it is safe for concurrent use.
type Transport struct {
	cmd     []string
	noLanes bool
	cgroups cgroup.Groups // this process's
	blocked blockSlots    // for readers that block in read(2) (see nearReader)
}

// New returns a transport that runs cfg.Command as its workers. It fails
// only when the default command, this executable, cannot be found.
func New(cfg Config) (*Transport, error) {
	cmd := cfg.Command
	if len(cmd) == 0 {
		self, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("pipe: finding this executable to run as a worker: %w", err)
		}
		cmd = []string{self}
	}
	self, _ := cgroup.Of(0) // none known: OOM kills are not told from other kills
	return &Transport{cmd: cmd, noLanes: cfg.NoLanes, cgroups: self}, nil
}

// Start spawns a worker process and completes its handshake. It refuses
// to from inside a worker process (transport.ErrInWorker).
func (t *Transport) Start(ctx context.Context, spec transport.Spec) (transport.Worker, error) {
	if err := transport.NotInWorker(); err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	return t.spawn(ctx, spec)
}

// Close does nothing: a pipe transport holds nothing beyond its workers.
func (t *Transport) Close() error { return nil }

func (t *Transport) String() string { return "pipe" }

// Blocked is how many of the transport's workers are read by a thread
// blocked in read(2) (see nearReader): at most one fewer than GOMAXPROCS.
func (t *Transport) Blocked() int { return int(t.blocked.n.Load()) }
