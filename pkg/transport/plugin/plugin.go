package plugin

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/brinehq/brine/pkg/transport"
)

// Protocol is the protocol go-plugin speaks to a worker: the way the
// frames travel.
type Protocol string

const (
	// NetRPC carries the frames over a raw stream of go-plugin's
	// MuxBroker (yamux over a Unix socket), opened by one net/rpc call.
	NetRPC Protocol = "netrpc"
	// GRPC carries the frames as the messages of one bidirectional gRPC
	// stream.
	GRPC Protocol = "grpc"
)

// Config configures a Transport. The zero value runs this very executable
// as the worker, over NetRPC.
type Config struct {
	// Command is the worker program and its arguments. Default: this
	// executable (os.Executable). The program calls worker.Main under
	// worker.IsWorker and imports this package, which has Main serve
	// through go-plugin when this transport started it.
	Command []string
	// Protocol is how the frames travel. Default: NetRPC, the faster (see
	// the package documentation).
	Protocol Protocol
}

// Transport starts worker processes through go-plugin. One serves one
// pool; it is safe for concurrent use.
type Transport struct {
	cmd      []string
	protocol Protocol

	mu       sync.Mutex
	closed   bool
	dir      string // the directory of the sockets of the workers starting, or ""
	starting int    // how many Starts use dir
}

// New returns a transport that runs cfg.Command as its workers. It fails
// when the default command, this executable, cannot be found, or when
// cfg.Protocol is not one of NetRPC and GRPC.
func New(cfg Config) (*Transport, error) {
	cmd := cfg.Command
	if len(cmd) == 0 {
		self, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("plugin: finding this executable to run as a worker: %w", err)
		}
		cmd = []string{self}
	}
	switch cfg.Protocol {
	case "":
		cfg.Protocol = NetRPC
	case NetRPC, GRPC:
	default:
		return nil, fmt.Errorf("plugin: unknown protocol %q: use %q or %q", cfg.Protocol, NetRPC, GRPC)
	}
	return &Transport{cmd: cmd, protocol: cfg.Protocol}, nil
}

// Start starts a worker process through go-plugin's client, and completes
// go-plugin's handshake and then brine's (docs/PROTOCOL.md §3), both
// within spec.HandshakeTimeout and ctx. On failure nothing it started is
// left behind.
func (t *Transport) Start(ctx context.Context, spec transport.Spec) (transport.Worker, error) {
	if err := transport.NotInWorker(); err != nil {
		return nil, fmt.Errorf("plugin: %w", err)
	}
	return t.start(ctx, spec)
}

// Close removes the transport's directory of sockets, if a Start left it,
// and makes later Starts fail. It is idempotent.
func (t *Transport) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	return t.removeDir()
}

func (t *Transport) String() string { return "plugin" }

// Protocol returns the protocol the transport's workers speak.
func (t *Transport) Protocol() Protocol { return t.protocol }

// useDir returns the directory where a starting worker creates its socket,
// creating it for the first of the Starts under way. Each Start that got
// one calls releaseDir once its worker is connected or failed.
func (t *Transport) useDir() (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return "", fmt.Errorf("plugin: %w", errClosed)
	}
	if t.dir == "" {
		dir, err := os.MkdirTemp(socketBase(os.TempDir()), "brine-plugin-")
		if err != nil {
			return "", fmt.Errorf("plugin: a directory for the workers' sockets: %w", err)
		}
		t.dir = dir
	}
	t.starting++
	return t.dir, nil
}

// maxSocketBase is the longest base directory whose sockets fit a Unix
// socket's path (108 bytes on Linux): go-plugin adds ~45 bytes of its own
// names below the transport's directory, which adds ~24.
const maxSocketBase = 108 - 45 - 24 - 1

// socketBase returns tmp, where the workers' sockets go, unless its path is
// too long for a socket's, then /tmp (a test's or a build system's TMPDIR
// often is).
func socketBase(tmp string) string {
	if len(tmp) <= maxSocketBase {
		return tmp
	}
	return "/tmp"
}

// releaseDir removes the directory of sockets once no Start uses it: a
// connected worker does not need its socket's name any more, so that
// whatever happens to the coordinator next, even a SIGKILL, leaves no file
// behind once its workers have started.
func (t *Transport) releaseDir() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.starting--; t.starting == 0 {
		t.removeDir()
	}
}

func (t *Transport) removeDir() error {
	if t.dir == "" {
		return nil
	}
	err := os.RemoveAll(t.dir)
	t.dir = ""
	if err != nil {
		return fmt.Errorf("plugin: removing the directory of sockets: %w", err)
	}
	return nil
}
