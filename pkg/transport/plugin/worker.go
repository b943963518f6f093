package plugin

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/lane"
	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/transport/internal/procgroup"
	"github.com/brinehq/brine/pkg/wire"
)

// pluginWorker is one worker process, the go-plugin client that started it and
// the stream of frames to it.
type pluginWorker struct {
	t      *Transport
	id     int
	log    zerolog.Logger
	client *goplugin.Client
	proc   *process // the process, as the client runs it
	relay  *relay   // of its stdout and stderr to log
	hello  wire.Hello
	conn   stream // set once connected
	r      *wire.Reader

	wmu    sync.Mutex // orders the writes of concurrent Sends, and CloseInput
	closed bool       // CloseInput was called

	group procgroup.Group // the process's, which signals reach

	waitOnce sync.Once
	exit     *transport.ExitError
}

var _ transport.Worker = (*pluginWorker)(nil)

func (w *pluginWorker) Hello() wire.Hello { return w.hello }

func (w *pluginWorker) PID() int { return w.group.PID() }

// Send writes frames to the worker's stream. A write that fails on an
// input that is not closed means the worker died or its connection broke:
// it is then given lingerMax to exit before it is killed.
func (w *pluginWorker) Send(frames []byte) error {
	w.wmu.Lock()
	if w.closed {
		w.wmu.Unlock()
		return fmt.Errorf("plugin: worker %d: %w", w.id, transport.ErrClosed)
	}
	_, err := w.conn.Write(frames)
	w.wmu.Unlock()
	if err != nil && !w.exitsWithin(lingerMax) {
		w.Kill("its connection failed")
	}
	return err
}

func (w *pluginWorker) Next(buf []byte) ([]byte, error) { return w.r.NextInto(buf) }

func (w *pluginWorker) Buffered() bool { return w.r.Ready() }

// Blocks returns false: a stream of go-plugin is read through the
// runtime's poller, never by a thread blocked in read(2).
func (w *pluginWorker) Blocks() bool { return false }

// Poll does nothing, as Blocks never holds.
func (w *pluginWorker) Poll(time.Duration) {}

// Lanes returns nils: every payload goes in frames.
func (w *pluginWorker) Lanes() (*lane.Writer, *lane.Reader) { return nil, nil }

// FlushOutput does not wait: a worker's lines reach the log as the relay
// reads them, which may be after its results.
func (w *pluginWorker) FlushOutput() {}

func (w *pluginWorker) CloseInput() {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	if !w.closed {
		w.closed = true
		w.conn.CloseWrite()
	}
}

func (w *pluginWorker) Terminate(reason string) { w.signal(syscall.SIGTERM, reason) }

func (w *pluginWorker) Kill(reason string) { w.signal(syscall.SIGKILL, reason) }

// signal sends sig to the worker's process group, which reaches what its
// tasks started too, unless the worker has exited. The first reason given
// is the one its exit reports; one given before the process started keeps
// it from starting.
func (w *pluginWorker) signal(sig syscall.Signal, reason string) { w.group.Signal(sig, reason) }

func (w *pluginWorker) Ended() <-chan struct{} { return w.proc.ended }

// Wait waits for the worker to exit, killing it if it lingers, releases
// what go-plugin's client holds, and reports how the worker ended.
func (w *pluginWorker) Wait() *transport.ExitError {
	w.waitOnce.Do(func() { w.exit = w.reap() })
	return w.exit
}

// Close does nothing: the worker has no lanes, and Wait released the rest.
func (w *pluginWorker) Close() {}

// lingerMax is how long a worker may live on after it closed its output or
// its connection failed before it is killed.
const lingerMax = 200 * time.Millisecond

// reap waits for the worker's process to exit, killing it if it lingers,
// shuts go-plugin's client down (its goroutines, connection and socket
// directory), collects the process's stdout and stderr, and returns how it
// ended.
func (w *pluginWorker) reap() *transport.ExitError {
	if w.proc.started() && !w.exitsWithin(lingerMax) {
		w.Kill("it closed its output but did not exit")
	}
	w.proc.wait()
	w.client.Kill() // returns at once: the process has exited
	if w.conn != nil {
		w.conn.Close()
	}
	w.proc.closeOutput()
	return w.exitError()
}

// exitsWithin waits up to d for the worker to exit and reports whether it
// has.
func (w *pluginWorker) exitsWithin(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-w.proc.ended:
		return true
	case <-t.C:
		return false
	}
}

// exitError describes how the reaped worker ended and, when it was killed,
// by whom.
func (w *pluginWorker) exitError() *transport.ExitError {
	return transport.ExitOf(w.id, w.PID(), w.proc.state, w.group.Reason())
}

var errClosed = errors.New("transport closed")
