package worker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

// flushAfter is how much result data, or how long a single task, makes the
// worker write its results at once instead of batching them with those of
// the tasks queued behind it.
const (
	flushBytes = 256 << 10
	flushTime  = 200 * time.Microsecond
)

// Serve runs the worker protocol: it sends a Hello naming the functions of
// reg, waits for the Welcome, then runs every task it receives on in and
// writes one result per task to out. It returns nil after a Shutdown message
// or a clean end of in, once every task received has its result written;
// a *wire.VersionError if the coordinator speaks another protocol version;
// and any other error when the streams fail or a frame is malformed.
// Cancelling ctx cancels running tasks; Serve still answers them.
func Serve(ctx context.Context, in io.Reader, out io.Writer, reg *task.Registry, log zerolog.Logger) error {
	w := bufio.NewWriterSize(out, 64<<10)
	r := wire.NewReader(in, 64<<10, 0)
	if err := handshake(r, w, reg); err != nil {
		return err
	}
	s := &server{reg: reg, w: w, log: log, batches: make(chan []wire.Task, 4)}
	readErr := make(chan error, 1)
	go func() { readErr <- s.read(r) }() // ends when in ends; Serve waits for it below
	err := s.run(ctx)
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
	w       *bufio.Writer
	log     zerolog.Logger
	batches chan []wire.Task // closed by read at the end of input
	buf     []byte           // the Results frame being built
}

// read decodes frames into batches until the input ends or says Shutdown.
func (s *server) read(r *wire.Reader) error {
	defer close(s.batches)
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
			ts, err := wire.DecodeTasks(body, nil)
			if err != nil {
				return fmt.Errorf("worker: reading tasks: %w", err)
			}
			s.batches <- ts
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
	var bw wire.BatchWriter
	n := 0
	for ts := range s.batches {
		for i := range ts {
			t := &ts[i]
			if n == 0 {
				s.buf, bw = wire.BeginResults(s.buf[:0])
			}
			if last.e == nil || last.name != t.Func {
				last.e, _ = s.reg.Lookup(t.Func)
				last.name = t.Func
			}
			took := s.invoke(ctx, last.e, t)
			n++
			if len(s.buf) >= flushBytes || took >= flushTime || (i == len(ts)-1 && len(s.batches) == 0) {
				if err := s.flush(bw, n); err != nil {
					return err
				}
				n = 0
			}
		}
	}
	if n > 0 {
		return s.flush(bw, n)
	}
	return nil
}

// maxResult bounds one encoded result so that a Results frame, which holds
// up to flushBytes before it is sent, never exceeds wire.MaxFrame.
const maxResult = wire.MaxFrame - flushBytes - 1024

// invoke runs t, appends its result element to s.buf and returns how long it took.
func (s *server) invoke(ctx context.Context, e *task.Entry, t *wire.Task) time.Duration {
	start := time.Now()
	head := len(s.buf)
	s.buf = wire.AppendResultHead(s.buf, t.ID)
	valueAt := len(s.buf)
	var werr *wire.Error
	if e == nil {
		werr = &wire.Error{Kind: wire.KindUnknown,
			Message: fmt.Sprintf("no function %q in worker %d; it has: %v", t.Func, os.Getpid(), s.reg.Names())}
	} else {
		s.buf, werr = e.Invoke(ctx, t.Bound, t.Args, s.buf)
	}
	if werr == nil && len(s.buf)-head > maxResult {
		werr = &wire.Error{Kind: wire.KindEncode,
			Message: fmt.Sprintf("%s: result of %d bytes exceeds the limit of %d", t.Func, len(s.buf)-valueAt, maxResult)}
		s.buf = s.buf[:valueAt]
	}
	if werr != nil {
		s.log.Debug().Str("func", t.Func).Uint64("task", t.ID).Str("kind", werr.Kind).Msg(werr.Message)
	}
	took := time.Since(start)
	s.buf = wire.AppendResultTail(s.buf, werr, uint64(took))
	return took
}

func (s *server) flush(bw wire.BatchWriter, n int) error {
	frame, err := bw.End(s.buf, n)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	if _, err := s.w.Write(frame); err != nil {
		return fmt.Errorf("worker: writing results: %w", err)
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("worker: writing results: %w", err)
	}
	return nil
}
