package worker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/internal/prefault"
	"github.com/brinehq/brine/internal/spin"
	"github.com/brinehq/brine/pkg/lane"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

// Option configures Serve.
type Option func(*server)

// WithLanes has Serve take and send large payloads through the
// shared-memory lanes of p, which the coordinator created and passed to the
// worker (docs/PROTOCOL.md §5.1); its Hello then declares
// wire.FeatureLanes. Serve does not close p.
func WithLanes(p *lane.Pair) Option {
	return func(s *server) { s.down, s.up = p.Worker() }
}

// WithOutput has Serve write the protocol to wrap(out) instead of out: a
// test sees, or alters, what a worker sends, as a faulty or hostile worker
// would send it.
func WithOutput(wrap func(io.Writer) io.Writer) Option {
	return func(s *server) { s.wrapOut = wrap }
}

// Serve runs the worker protocol: it sends a Hello naming the functions of
// reg, waits for the Welcome, then runs every task it receives on in and
// writes one result per task to out. It returns nil after a Shutdown message
// or a clean end of in, once every task received has its result written;
// a *wire.VersionError if the coordinator speaks another protocol version;
// and any other error when the streams fail or a frame is malformed.
// Cancelling ctx cancels running tasks; Serve still answers them.
//
// A frame of tasks may ask the worker to poll its input for the next frame
// a while, once it has answered them, before it sleeps in a read
// (wire.BatchWriter.EndSpin): Serve does so, for at most maxSpin, when in
// has a descriptor to poll (a syscall.Conn, such as an *os.File).
//
// Tasks run one at a time in the order received, and each result is sent
// within about a millisecond of its task's end even while the next task runs:
// the coordinator relies on both to time tasks out (docs/PROTOCOL.md). The
// latter needs a second processor (GOMAXPROCS ≥ 2): with one, a result
// waiting behind a task that computes without blocking is sent when the
// runtime preempts that task, about 10 ms on.
func Serve(ctx context.Context, in io.Reader, out io.Writer, reg *task.Registry, log zerolog.Logger, opts ...Option) error {
	w := bufio.NewWriterSize(out, 64<<10)
	r := wire.NewReader(in, 64<<10, 0)
	s := &server{reg: reg, w: w, log: log, inFD: connFD(in)}
	for _, o := range opts {
		o(s)
	}
	if s.wrapOut != nil {
		w.Reset(s.wrapOut(out))
	}
	features := []string{wire.FeatureCalls, wire.FeatureCancel}
	if s.down != nil {
		features = append(features, wire.FeatureLanes)
	}
	if err := handshake(r, w, reg, features); err != nil {
		return err
	}
	s.laps.clock = monotonic()
	s.stale = time.AfterFunc(time.Hour, s.flushStale)
	s.stale.Stop()
	err := s.run(ctx, r)
	s.idle.Store(true) // a flushStale under way writes nothing now
	if s.armed.Load() && s.stale.Stop() {
		s.staleRuns.Done() // it will not run
	}
	if ferr := s.flush(); err == nil {
		err = ferr
	}
	s.staleRuns.Wait() // one that started returns at once
	return err
}

func handshake(r *wire.Reader, w *bufio.Writer, reg *task.Registry, features []string) error {
	hello, _ := wire.AppendHello(nil, wire.Hello{Version: wire.Version, PID: os.Getpid(), Funcs: reg.Names(),
		Features: features})
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
	wrapOut func(io.Writer) io.Writer // WithOutput's
	one     []byte                    // the result of the task just run; run's own
	laps    laps                      // times the tasks; run's own
	down    *lane.Reader              // arguments placed in shared memory, with WithLanes
	up      *lane.Writer              // where large results go, with WithLanes
	// lastValue is the size of the last value encoded: after a large one,
	// the next is encoded straight into the up lane.
	lastValue int
	inFD      int           // the input's descriptor, to poll; -1 if it has none
	spin      time.Duration // how long to poll the input before the next read, asked by the last frame

	// The pending results and the output: run's, and flushStale's while
	// it has taken the input over from a task (see add).
	w   *bufio.Writer
	buf []byte // the Results frame being built
	bw  wire.BatchWriter
	n   int   // results in buf
	err error // the first write error

	stale *time.Timer // runs flushStale staleAfter after a frame's first result
	armed atomic.Bool // stale is set, and its flushStale has not begun
	// idle: run waits for input, with no result pending, or has ended.
	idle atomic.Bool

	staleRuns sync.WaitGroup // the flushStale that stale is set to start, for Serve to await

	watch watcher // of the input while tasks run, for Cancels (see cancel.go)
}

// run reads frames and runs their tasks, one goroutine doing both, so that
// no task waits for a hand-off between goroutines. Results wait in the
// pending frame while more tasks are already buffered, and are written
// before run waits for input or at the end of a frame that left many (or
// at once, or when stale: see add). It returns at the end of the input or
// a Shutdown.
func (s *server) run(ctx context.Context, r *wire.Reader) error {
	var last struct { // the function of the previous task, looked up once per run of equal names
		name string
		e    *task.Entry
	}
	var ts []wire.Task
	calls := wire.Calls{Args: prefault.Slice[[]byte](shortCalls)}
	var call wire.Task                         // the task of a Calls frame that runs
	keep := prefault.Slice[byte](shortFrameIn) // the buffer frames are read into
	s.buf = prefault.Slice[byte](shortResults) // the pending results (see add)
	wt := &s.watch
	wt.start(ctx, r, s.inFD)
	defer wt.stop()
	for {
		// About to wait for input, or many results pending (see
		// flushResults): what is pending goes first.
		waiting := !wt.ready()
		if waiting || s.n >= flushResults {
			if err := s.flush(); err != nil {
				return err
			}
		}
		if waiting {
			s.idle.Store(true) // with nothing pending: see flushStale
		}
		if s.spin > 0 && s.inFD >= 0 && waiting {
			readable(s.inFD, s.spin) // the read below takes what comes, or sleeps
		}
		s.spin = 0
		body, err := wt.next(keep)
		if waiting {
			s.idle.Store(false)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("worker: reading tasks: %w", err)
		}
		if cap(body) <= s.keepBody() {
			keep = body // nothing holds on to it once its tasks have run: see below
		}
		typ, err := wire.PeekType(body)
		if err != nil {
			return fmt.Errorf("worker: reading tasks: %w", err)
		}
		switch typ {
		case wire.TypeTasks, wire.TypeCalls:
			// A Calls frame's tasks are taken from it one at a time (call),
			// not copied out all at once: they differ only in their ids and
			// arguments, and carry none in a lane.
			n := 0
			if typ == wire.TypeTasks {
				ts, s.spin, err = wire.DecodeTasksSpin(body, ts[:0])
				s.spin = min(s.spin, maxSpin)
				if err == nil {
					err = s.fromLane(ts)
				}
				n = len(ts)
			} else if err = wire.DecodeCalls(body, &calls); err == nil {
				n = len(calls.Args)
			}
			if err != nil {
				return fmt.Errorf("worker: reading tasks: %w", err)
			}
			// A task's start is the end of the one before it in the frame
			// (see laps).
			sampled := "" // a frame of tasks: each is timed
			if typ == wire.TypeCalls {
				sampled = calls.Func
			}
			s.laps.frame(sampled)
			wt.beginFrame()
			for i := range n {
				t := &call
				if typ == wire.TypeCalls {
					call = calls.Task(i)
				} else {
					t = &ts[i]
				}
				if last.e == nil || last.name != t.Func {
					last.e, _ = s.reg.Lookup(t.Func)
					last.name = t.Func
				}
				var took time.Duration
				if len(wt.spans) > 0 && wt.cancelled(t.ID) {
					s.one = skipped(s.one[:0], t.ID)
				} else {
					took = s.invoke(wt.taskContext(ctx, t.ID), last.e, t, i+1 == n)
					wt.taskDone()
				}
				if !t.Lane.IsZero() {
					s.down.Release(lane.Ref(t.Lane).End()) // the function has its own copy of the arguments
				}
				// A long task's result goes at once; short ones' travel
				// together.
				if err := s.add(took >= flushTime, i+1 < n || wt.ready()); err != nil {
					wt.endFrame()
					return err
				}
			}
			wt.endFrame()
			// The arguments were decoded into values of their own and the
			// results encoded into s.buf: the body may be read over.
			clear(ts)
			clear(calls.Args)
			call = wire.Task{}
		case wire.TypeCancel:
			if err := wt.apply(body); err != nil {
				return fmt.Errorf("worker: reading a cancel: %w", err)
			}
		case wire.TypeShutdown:
			return nil
		default: // docs/PROTOCOL.md: a worker ignores what it does not know
			s.log.Warn().Stringer("type", typ).Msg("ignoring a message of unknown type")
		}
	}
}

// maxSpin bounds how long the worker polls its input when a frame asks it
// to: a lone call's caller asks for tens of microseconds (pool.Options.Spin).
const maxSpin = time.Millisecond

// readable is spin.Readable, which tests count.
var readable = spin.Readable

// connFD returns the descriptor of in, if it is a syscall.Conn, or -1.
func connFD(in io.Reader) int {
	c, ok := in.(syscall.Conn)
	if !ok {
		return -1
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	if rc.Control(func(f uintptr) { fd = int(f) }) != nil {
		return -1
	}
	return fd
}

// keepBody is the largest frame buffer the worker reuses for the next
// frame; a larger one, read for a frame of large arguments, is let go.
// With lanes, large arguments come by lane and a frame that holds one is
// rare, so a buffer kept for it would only double the heap the collector
// paces by: keepLaned is a batch frame's worth.
const (
	keepBody  = 4 << 20
	keepLaned = 2 * maxFrameIn
	// maxFrameIn is the most a coordinator puts in a frame of tasks
	// besides a last task that crosses it (pool's maxFrameBytes).
	maxFrameIn = 256 << 10
)

// The buffers run makes as it begins, written through (internal/prefault):
// those a run of short tasks fills. Grown during the worker's first such
// run, each new size was fresh memory, whose pages faulted in the middle
// of it (bench/RESULTS.md, "Design measurements": Buffers written through
// as they are made). They grow past these for larger frames and results.
const (
	shortFrameIn = 32 << 10 // bytes of a frame of tasks: half a pool's window of short calls
	shortCalls   = 64       // calls of a Calls frame: a pool's chunk
	shortResults = 8 << 10  // bytes of pending results: flushResults of a few words each
)

func (s *server) keepBody() int {
	if s.down != nil {
		return keepLaned
	}
	return keepBody
}

// maxResult bounds one encoded result so that a Results frame, which holds
// up to flushBytes before it is sent, never exceeds wire.MaxFrame.
const maxResult = wire.MaxFrame - flushBytes - 1024

// invoke runs t, which started when the task before it ended, encodes its
// result element into s.one and returns how long it took. The clock is read
// at its end (see laps) if it is its frame's last or it ran long enough
// for the watcher to see it.
func (s *server) invoke(ctx context.Context, e *task.Entry, t *wire.Task, last bool) (took time.Duration) {
	s.one = wire.AppendResultHead(s.one[:0], t.ID)
	valueAt := len(s.one)
	var werr *wire.Error
	var ref wire.Ref
	switch {
	case e == nil:
		werr = &wire.Error{Kind: wire.KindUnknown,
			Message: fmt.Sprintf("no function %q in worker %d; it has: %v", t.Func, os.Getpid(), s.reg.Names())}
	case s.up != nil && (s.lastValue >= lane.MinPayload || s.lastValue == 0 && !t.Lane.IsZero()):
		// After a large value, or with arguments large enough for the
		// lane (the first task), expect a large value.
		ref, werr = s.invokeInLane(ctx, e, t)
	default:
		s.one, werr = e.Invoke(ctx, t.Bound, t.Args, s.one)
	}
	if werr == nil && len(s.one) > maxResult {
		werr = &wire.Error{Kind: wire.KindEncode,
			Message: fmt.Sprintf("%s: result of %d bytes exceeds the limit of %d", t.Func, len(s.one)-valueAt, maxResult)}
		s.one = s.one[:valueAt]
	}
	if werr != nil && stoppedByCancel(ctx) {
		werr.Kind = wire.KindCancelled
	}
	if werr != nil {
		s.log.Debug().Str("func", t.Func).Uint64("task", t.ID).Str("kind", werr.Kind).Msg(werr.Message)
	} else if ref.IsZero() {
		s.lastValue = len(s.one) - valueAt
		if s.up != nil && s.lastValue >= lane.MinPayload {
			ref = s.toLane(s.one[valueAt:])
		}
	}
	took = s.laps.lap(last || s.watch.stalled())
	if !ref.IsZero() {
		s.one = wire.AppendLaneResult(s.one[:0], t.ID, uint64(took), ref)
	} else {
		s.one = wire.AppendResultTail(s.one, werr, uint64(took))
	}
	return took
}

// invokeInLane runs t with its value encoded straight into the up lane
// when the lane has room for one as large as the last (or, the first time,
// as its arguments); in s.one otherwise, or when the value outgrows the
// room or is too small for a lane.
func (s *server) invokeInLane(ctx context.Context, e *task.Entry, t *wire.Task) (wire.Ref, *wire.Error) {
	var werr *wire.Error
	want := s.lastValue
	if want == 0 {
		want = int(t.Lane.Len)
	}
	pos, room, ok := s.up.Reserve(lane.Estimate(want))
	if !ok {
		s.one, werr = e.Invoke(ctx, t.Bound, t.Args, s.one)
		return wire.Ref{}, werr
	}
	v, werr := e.Invoke(ctx, t.Bound, t.Args, room)
	if werr != nil {
		return wire.Ref{}, werr
	}
	if !lane.InPlace(v, room) { // it outgrew the room, or is small
		s.one = append(s.one, v...)
		return wire.Ref{}, nil
	}
	s.lastValue = len(v)
	return wire.Ref(s.up.Commit(pos, len(v))), nil
}

// fromLane points the arguments of the tasks of ts that are in the down
// lane at their bytes there.
func (s *server) fromLane(ts []wire.Task) error {
	for i := range ts {
		t := &ts[i]
		if t.Lane.IsZero() {
			continue
		}
		if s.down == nil {
			return fmt.Errorf("%w: task %d has its arguments in a lane, and this worker has none", wire.ErrMalformed, t.ID)
		}
		args, err := s.down.Slice(lane.Ref(t.Lane))
		if err != nil {
			return fmt.Errorf("task %d: %w", t.ID, err)
		}
		t.Args = args
	}
	return nil
}

// toLane copies value into the up lane and returns where it is, or the
// zero Ref when the lane has no room for it: it then goes in the frame.
func (s *server) toLane(value []byte) wire.Ref {
	pos, buf, ok := s.up.Reserve(len(value))
	if !ok {
		return wire.Ref{}
	}
	return wire.Ref(s.up.Commit(pos, len(append(buf, value...))))
}
