package transport

import (
	"context"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/lane"
	"github.com/brinehq/brine/pkg/wire"
)

// Transport starts workers for one pool. It is safe for concurrent use:
// a pool starts its workers at once, and replaces them as they end.
type Transport interface {
	// Start starts a worker and completes its handshake (docs/PROTOCOL.md
	// §3): the Worker it returns has said Hello, speaks wire.Version and
	// is ready for tasks. ctx bounds the start-up only. On failure
	// nothing Start began is left behind, and the error says what to do
	// (a *wire.VersionError for a worker of another protocol version).
	Start(ctx context.Context, spec Spec) (Worker, error)
	// Close releases what the transport holds besides its workers (a
	// directory of sockets, a server), once every worker it started has
	// ended. It is idempotent.
	Close() error
	// String names the transport, as -transport does: "pipe", "plugin".
	String() string
}

// Spec is what a pool asks of a worker it starts.
type Spec struct {
	// ID is the worker's place in the pool, sent in the Welcome and
	// given with every line the worker logs.
	ID int
	// Env holds "KEY=value" entries for the worker's environment, past
	// the coordinator's own and the transport's (wire.EnvMarker and the
	// descriptors it passes).
	Env []string
	// Shared is the memory of the pool's conds and barriers, for the
	// worker to map (wire.EnvCondFD), or nil.
	Shared *os.File
	// Logger receives what the worker writes to stdout and stderr, line
	// by line, with its id and pid.
	Logger zerolog.Logger
	// HandshakeTimeout bounds the wait for the worker's Hello.
	HandshakeTimeout time.Duration
	// FrameTimeout, when positive, bounds how long the worker may take to
	// finish sending a frame once its first byte has arrived: a worker
	// that takes longer is killed, as one that broke the protocol, and
	// Next fails. Between frames it may be silent for as long as it likes.
	FrameTimeout time.Duration
	// Near, when not nil, reports whether the pool expects the next
	// result of any worker within about a round trip: a transport may
	// then read in a way that answers faster at the cost of a thread
	// (see Worker.Blocks).
	Near func() bool
}

// Worker is one started worker. Send may be called from several
// goroutines; Next, Buffered, Blocks and Poll by one at a time (the
// pool's reader of the worker, or a caller it lends the reading to);
// the rest from anywhere.
type Worker interface {
	// Hello is what the worker said in its handshake: its functions,
	// sorted, and the features it supports.
	Hello() wire.Hello
	// PID is the worker's process id, where it has one on this machine,
	// else 0.
	PID() int
	// Send writes frames, one or more whole frames encoded by pkg/wire,
	// in order: the frames of concurrent calls never interleave. After
	// CloseInput it returns an error that wraps ErrClosed. A worker that
	// no longer reads its input is ended, so that Next sees the end of
	// its output.
	Send(frames []byte) error
	// Next returns the body of the next frame the worker sent, read into
	// buf's memory when it is large enough, else into fresh memory; the
	// body is the caller's until it passes it back as buf. At the end of
	// the worker's output it returns io.EOF, and any other error once
	// the output cannot be trusted (wire.ErrFrameTooLarge, a frame cut
	// short); the pool then ends the worker.
	Next(buf []byte) ([]byte, error)
	// Buffered reports whether the next frame, or part of it, has been
	// read already, so that Next starts without waiting.
	Buffered() bool
	// Blocks prepares the next Next and reports whether it will wait in
	// a way that holds its thread, which answers sooner (see Spec.Near).
	// A transport that never does returns false.
	Blocks() bool
	// Poll waits up to d, without sleeping, until the next frame's bytes
	// are there, when Blocks holds; otherwise it returns at once.
	Poll(d time.Duration)
	// Lanes returns the worker's shared-memory lanes for large payloads
	// (docs/PROTOCOL.md §5.1), the coordinator's ends, or nils when it
	// has none: payloads then go in frames.
	Lanes() (down *lane.Writer, up *lane.Reader)
	// FlushOutput returns once what the worker wrote to its stdout and
	// stderr before the call has reached Spec.Logger, within a short
	// bound: a program a task started may write on. A call whose results
	// are in then returns with its tasks' output relayed.
	FlushOutput()
	// CloseInput ends the worker's input: it finishes the tasks it holds
	// and exits. It is idempotent.
	CloseInput()
	// Terminate asks the worker to stop now (SIGTERM): its running tasks
	// see their context cancelled. reason is reported in the worker's
	// exit if it ends the worker. It does nothing once the worker ended.
	Terminate(reason string)
	// Kill ends the worker and what its tasks started at once (SIGKILL).
	// The first reason given to Terminate or Kill is the one its exit
	// reports. It does nothing once the worker ended.
	Kill(reason string)
	// Ended is closed when the worker has ended: its process exited, or
	// its connection closed.
	Ended() <-chan struct{}
	// Wait, called once Next has returned an error, waits for the worker
	// to end, killing it if it lingers without its output, and reports
	// how it ended. It is called once.
	Wait() *ExitError
	// Close releases what is left of the worker (its lanes) once Wait
	// has returned and nothing uses it any more.
	Close()
}
