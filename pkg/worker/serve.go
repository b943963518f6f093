package worker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

// Serve runs the worker protocol: it sends a Hello naming the functions of
// reg, waits for the Welcome, then runs every task it receives on in and
// writes one result per task to out. It returns nil after a Shutdown message
// or a clean end of in, once every task received has its result written;
// a *wire.VersionError if the coordinator speaks another protocol version;
// and any other error when the streams fail or a frame is malformed.
// Cancelling ctx cancels running tasks; Serve still answers them.
//
// Tasks run one at a time in the order received, and each result is sent
// within about a millisecond of its task's end even while the next task runs:
// the coordinator relies on both to time tasks out (docs/PROTOCOL.md).
func Serve(ctx context.Context, in io.Reader, out io.Writer, reg *task.Registry, log zerolog.Logger) error {
	w := bufio.NewWriterSize(out, 64<<10)
	r := wire.NewReader(in, 64<<10, 0)
	if err := handshake(r, w, reg); err != nil {
		return err
	}
	s := &server{reg: reg, w: w, log: log, batches: make(chan []wire.Task, 4), kick: make(chan struct{}, 1)}
	readErr := make(chan error, 1)
	go func() { readErr <- s.read(r) }() // ends when in ends; Serve waits for it below
	quit := make(chan struct{})
	var flusher sync.WaitGroup
	flusher.Go(func() { s.flushStale(quit) })
	err := s.run(ctx)
	close(quit)
	flusher.Wait()
	if err != nil {
		// run stopped early: unblock read (closing in) and drain what it sends.
		if c, ok := in.(io.Closer); ok {
			c.Close()
		}
		for range s.batches {
		}
	}
	if rerr := <-readErr; err == nil {
		err = rerr
	}
	return err
}

func handshake(r *wire.Reader, w *bufio.Writer, reg *task.Registry) error {
	hello, _ := wire.AppendHello(nil, wire.Hello{Version: wire.Version, PID: os.Getpid(), Funcs: reg.Names()})
	if _, err := w.Write(hello); err != nil {
		return fmt.Errorf("worker: sending hello: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("worker: sending hello: %w", err)
	}
	body, err := r.Next()
	if err != nil {
		return fmt.Errorf("worker: waiting for welcome: %w", err)
	}
	welcome, err := wire.DecodeWelcome(body)
	if err != nil {
		return fmt.Errorf("worker: waiting for welcome: %w", err)
	}
	if welcome.Version != wire.Version {
		return &wire.VersionError{Worker: wire.Version, Coordinator: welcome.Version}
	}
	return nil
}

type server struct {
	reg     *task.Registry
	log     zerolog.Logger
	batches chan []wire.Task // closed by read at the end of input
	one     []byte           // the result of the task just run; run's own
	kick    chan struct{}    // a Results frame got its first result

	mu    sync.Mutex // guards what follows, shared with flushStale
	w     *bufio.Writer
	buf   []byte // the Results frame being built
	bw    wire.BatchWriter
	n     int   // results in buf
	err   error // the first write error
	armed bool  // flushStale's timer runs
}

// maxGather is the most tasks read passes on at once.
const maxGather = 1024

// read decodes frames into batches until the input ends or says Shutdown.
// The tasks of frames that arrived together go as one batch: one hand-off
// to run, and their results travel together.
func (s *server) read(r *wire.Reader) error {
	var ts []wire.Task
	defer func() {
		if len(ts) > 0 {
			s.batches <- ts
		}
		close(s.batches)
	}()
	for {
		body, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("worker: reading tasks: %w", err)
		}
		typ, err := wire.PeekType(body)
		if err != nil {
			return fmt.Errorf("worker: reading tasks: %w", err)
		}
		switch typ {
		case wire.TypeTasks:
			more, err := wire.DecodeTasks(body, ts)
			if err != nil {
				return fmt.Errorf("worker: reading tasks: %w", err)
			}
			if ts = more; len(ts) < maxGather && r.Ready() {
				continue
			}
			s.batches <- ts
			ts = nil
		case wire.TypeShutdown:
			return nil
		default: // docs/PROTOCOL.md: a worker ignores what it does not know
			s.log.Warn().Stringer("type", typ).Msg("ignoring a message of unknown type")
		}
	}
}

// run executes batches until read closes the channel, then flushes.
func (s *server) run(ctx context.Context) error {
	var last struct { // the function of the previous task, looked up once per run of equal names
		name string
		e    *task.Entry
	}
	for ts := range s.batches {
		for i := range ts {
			t := &ts[i]
			if last.e == nil || last.name != t.Func {
				last.e, _ = s.reg.Lookup(t.Func)
				last.name = t.Func
			}
			took := s.invoke(ctx, last.e, t)
			// Results of short tasks travel together, until the batch ends
			// or nothing more is queued; a long task's goes at once.
			now := took >= flushTime || (i == len(ts)-1 && len(s.batches) == 0)
			if err := s.add(now); err != nil {
				return err
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flush()
}

// maxResult bounds one encoded result so that a Results frame, which holds
// up to flushBytes before it is sent, never exceeds wire.MaxFrame.
const maxResult = wire.MaxFrame - flushBytes - 1024

// invoke runs t, encodes its result element into s.one and returns how
// long it took.
func (s *server) invoke(ctx context.Context, e *task.Entry, t *wire.Task) time.Duration {
	start := time.Now()
	s.one = wire.AppendResultHead(s.one[:0], t.ID)
	valueAt := len(s.one)
	var werr *wire.Error
	if e == nil {
		werr = &wire.Error{Kind: wire.KindUnknown,
			Message: fmt.Sprintf("no function %q in worker %d; it has: %v", t.Func, os.Getpid(), s.reg.Names())}
	} else {
		s.one, werr = e.Invoke(ctx, t.Bound, t.Args, s.one)
	}
	if werr == nil && len(s.one) > maxResult {
		werr = &wire.Error{Kind: wire.KindEncode,
			Message: fmt.Sprintf("%s: result of %d bytes exceeds the limit of %d", t.Func, len(s.one)-valueAt, maxResult)}
		s.one = s.one[:valueAt]
	}
	if werr != nil {
		s.log.Debug().Str("func", t.Func).Uint64("task", t.ID).Str("kind", werr.Kind).Msg(werr.Message)
	}
	took := time.Since(start)
	s.one = wire.AppendResultTail(s.one, werr, uint64(took))
	return took
}
