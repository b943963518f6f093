package pipe

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/internal/cgroup"
	"github.com/brinehq/brine/internal/spin"
	"github.com/brinehq/brine/pkg/lane"
	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/transport/internal/output"
	"github.com/brinehq/brine/pkg/transport/internal/procgroup"
	"github.com/brinehq/brine/pkg/wire"
)

// worker is one worker process and the pipes to it.
type worker struct {
	t     *Transport
	id    int
	log   zerolog.Logger
	cmd   *exec.Cmd
	hello wire.Hello
	in    *os.File    // our end of the worker's fd 3
	out   *os.File    // our end of the worker's fd 4, read by r
	near  *nearReader // out, when it could be made one
	r     *wire.Reader
	oom   cgroup.OOMKills // its memory cgroups' OOM kill counts, once it said Hello

	// Its shared-memory lanes for large payloads, if it mapped them.
	lanes *lane.Pair
	down  *lane.Writer
	up    *lane.Reader

	wmu    sync.Mutex // orders the writes of concurrent Sends
	inOnce sync.Once

	relays     sync.WaitGroup // stdout and stderr relays
	relaysLeft atomic.Int32
	relaysDone chan struct{}    // closed when both relays have ended
	tail       output.Tail      // the last lines of its stderr, for error messages
	outputs    []*watchedReader // stdout and stderr, as the relays read them (see FlushOutput)
	reaping    atomic.Bool      // reap has begun: the relays' descriptors close

	group procgroup.Group // the process's, which signals reach
}

var _ transport.Worker = (*worker)(nil)

func (w *worker) Hello() wire.Hello { return w.hello }
func (w *worker) PID() int          { return w.group.PID() }

// Send writes frames to the worker's input. A write that fails on an input
// that is not closed means the worker died or stopped reading: it is then
// given lingerMax to exit before it is killed.
func (w *worker) Send(frames []byte) error {
	w.wmu.Lock()
	_, err := w.in.Write(frames)
	w.wmu.Unlock()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, os.ErrClosed):
		return fmt.Errorf("%w: %w", transport.ErrClosed, err)
	}
	if !w.exitsWithin(lingerMax) {
		w.Kill("it closed its input (fd 3)")
	}
	return err
}

func (w *worker) Next(buf []byte) ([]byte, error) { return w.r.NextInto(buf) }

func (w *worker) Buffered() bool { return w.r.Ready() }

func (w *worker) Blocks() bool { return w.near != nil && w.near.blocks() }

func (w *worker) Poll(d time.Duration) {
	if w.near != nil && w.near.blocking {
		spin.Readable(w.near.fd, d)
	}
}

func (w *worker) Lanes() (*lane.Writer, *lane.Reader) { return w.down, w.up }

func (w *worker) CloseInput() { w.inOnce.Do(func() { w.in.Close() }) }

func (w *worker) Terminate(reason string) { w.signal(syscall.SIGTERM, reason) }

func (w *worker) Kill(reason string) { w.signal(syscall.SIGKILL, reason) }

// signal sends sig to the worker's process group, which reaches what its
// tasks started too, unless the worker has exited. The first reason given
// is the one its exit reports.
func (w *worker) signal(sig syscall.Signal, reason string) { w.group.Signal(sig, reason) }

func (w *worker) Ended() <-chan struct{} { return w.relaysDone }

func (w *worker) Wait() *transport.ExitError {
	if w.near != nil {
		w.near.done()
	}
	return w.reap()
}

// Close unmaps the worker's lanes.
func (w *worker) Close() {
	if w.lanes != nil {
		w.lanes.Close()
	}
	w.lanes, w.down, w.up = nil, nil, nil
}
