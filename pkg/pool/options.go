package pool

import (
	"runtime"
	"time"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/transport/pipe"
)

// Mode selects where tasks run.
type Mode int

const (
	// Process runs tasks in worker processes, each argument and result
	// serialized over pipes.
	Process Mode = iota
	// Thread runs tasks on goroutines in this process with no serialization.
	Thread
)

func (m Mode) String() string {
	if m == Thread {
		return "thread"
	}
	return "process"
}

// Options configure a Pool. The zero value of each field selects its default.
type Options struct {
	Workers int  // number of workers; default runtime.NumCPU()
	Mode    Mode // default Process
	// Initializers are the names of the task States every worker makes as
	// it starts (WithInitializer).
	Initializers []string
	// Transport starts the worker processes and carries frames to and
	// from them; the pool closes it when it closes, so it serves one pool.
	// Default: pipes to child processes running Command
	// (pkg/transport/pipe).
	Transport transport.Transport
	// Command is the worker program and its arguments, for the default
	// transport. Default: this very executable (os.Executable), which
	// becomes a worker when it calls worker.Main under worker.IsWorker.
	Command []string
	Env     []string // extra environment for workers, "KEY=value"
	// WorkerProcs is the GOMAXPROCS of each worker process. The default,
	// unless the coordinator's own environment sets GOMAXPROCS, is the
	// workers' share of the coordinator's processors, at least one (two
	// with TaskTimeout): a worker runs one task at a time, and a runtime
	// that spreads its collector and scavenger over every processor takes
	// them from its siblings. With one processor, a result that waits
	// behind a task computing without blocking is written when the runtime
	// preempts that task, ~10 ms on, not within ~1 ms: TaskTimeout, which
	// times tasks by their results, gets two. Tasks that run goroutines of
	// their own in parallel, or wait on shared conds and barriers (each
	// wait longer than 20 µs costs a one-processor runtime a thread
	// hand-off when it ends), may want more. Env's GOMAXPROCS, if any,
	// wins. Thread mode ignores it.
	WorkerProcs int
	// Batch is the most tasks sent to a worker in one frame; 0 adapts it
	// to the tasks' duration (and lets Run send short calls in chunks, see
	// the package doc), 1 sends each task in its own frame.
	Batch int
	// Prefetch, when positive, is the most tasks a worker holds at once,
	// the one it runs included; 0 adapts it to the tasks' duration (at
	// least 2 for a worker process, so that it never waits for its next
	// task; a thread worker takes several only after short tasks). 1 suits
	// tasks that block on each other, which must each have a worker.
	Prefetch int
	// GIL runs thread-mode tasks one at a time behind one lock, released
	// while a task blocks (task.Blocking), as CPython's GIL is.
	GIL bool
	// Wire makes thread mode encode and decode every task and result with
	// the wire codec, to measure serialization apart from process costs.
	Wire bool
	// BorrowResults makes the Raw of a Result that Run passes to its
	// callback valid only until the callback returns, as the bytes of
	// bufio.Scanner.Bytes are until the next Scan: the pool reads later
	// results into the same memory. A callback that keeps Raw must copy
	// it; one that decodes it (Result.Decode, task.Func.Decode) has a copy
	// already. This spares the pool fresh memory for each frame of results
	// with a value of more than a few hundred bytes, which is most of the
	// coordinator's cost for large results. Map, Submit and Stream, which
	// decode each result as it arrives, always work this way.
	BorrowResults bool
	// HandshakeTimeout bounds how long a new worker may take to say Hello;
	// default 10 s.
	HandshakeTimeout time.Duration
	// FrameTimeout bounds how long a worker may take to finish sending a
	// frame once its first byte has arrived; default 10 s. A worker silent
	// between frames is not bound by it (see TaskTimeout and WarnAfter),
	// but one stopped halfway through a frame broke the protocol: it is
	// killed, and the tasks it held are sent again as Retries allows.
	FrameTimeout time.Duration
	// WarnAfter is how long a task may run in a worker process before the
	// pool logs a warning naming the task, its worker and the worker's pid,
	// and again each time that time doubles, so that a run waiting on a
	// stalled task says so; it ends nothing (TaskTimeout does). Default
	// 30 s; negative: never.
	WarnAfter time.Duration
	// Grace is how long Close, and a Run whose context has ended, let
	// workers finish the tasks they hold before killing them; default 5 s.
	Grace time.Duration
	// TaskTimeout, when positive, bounds how long one task may run in a
	// worker process: an overdue task's worker is killed and replaced, the
	// task fails with kind wire.KindTimeout (it is not retried), and the
	// other tasks that worker held are sent again without counting against
	// Retries. Thread mode ignores it: a goroutine cannot be killed.
	TaskTimeout time.Duration
	// MaxTasksPerWorker, when positive, replaces a worker process once it
	// has been sent that many tasks: it gets no more, finishes those and
	// exits, while its replacement starts. Thread mode ignores it.
	MaxTasksPerWorker int
	// Retries is how many more times a task is sent after workers holding
	// it died (crashed, were killed from outside, broke the protocol);
	// then it fails with kind wire.KindWorkerDied. After a death, each task
	// the worker held is sent again to a worker holding nothing else, even
	// past Retries, until it has been alone in a worker that died: so the
	// task that kills workers fails and the ones beside it do not. Default
	// 0: one death, alone, fails a task.
	Retries int
	// Spin is how long either end of a round trip expected to be short
	// polls for the other before it sleeps: a caller whose run awaits no
	// more results than there are workers, of tasks that lately took under
	// a quarter of Spin, polls for them (a caller of a lone call sent
	// directly, see the package doc, or with fewer workers than
	// processors); and a worker that answered a lone call sent directly
	// polls for the next one.
	// Default 50 µs on a machine of two or more processors; negative, or
	// one processor: never. A poll holds its thread's processor while it
	// lasts, up to Spin of processor time per call on either side.
	Spin time.Duration
	// Logger receives the pool's warnings and, line by line with the
	// worker's id and pid, what worker processes print to stdout and
	// stderr; a Run or Map returns once what its tasks printed is there.
	// Default: text lines on this process's stderr. zerolog.Nop()
	// discards; WithSlog sends them to a *slog.Logger.
	Logger zerolog.Logger
	// LogLevel is passed to worker processes: "debug", "info", "warn"...;
	// default "info".
	LogLevel string
}

// Option changes Options.
type Option func(*Options)

// WithWorkers sets the number of workers.
func WithWorkers(n int) Option { return func(o *Options) { o.Workers = n } }

// WithMode selects thread or process mode.
func WithMode(m Mode) Option { return func(o *Options) { o.Mode = m } }

// WithCommand sets the worker program and its arguments.
func WithCommand(path string, args ...string) Option {
	return func(o *Options) { o.Command = append([]string{path}, args...) }
}

// WithInitializer has every worker make its value of each of states (see
// task.RegisterState) as it starts, before its first task, as Python's
// Pool(initializer=...) runs its initializer: New fails if a worker cannot
// make one, with the error. A State's OnExit runs as the worker ends.
func WithInitializer(states ...interface{ Name() string }) Option {
	return func(o *Options) {
		for _, s := range states {
			o.Initializers = append(o.Initializers, s.Name())
		}
	}
}

// WithTransport sets how worker processes are started and reached (see
// Options.Transport).
func WithTransport(t transport.Transport) Option { return func(o *Options) { o.Transport = t } }

// WithBatch sets the most tasks per frame (0: adaptive).
func WithBatch(n int) Option { return func(o *Options) { o.Batch = n } }

// WithGIL serializes thread-mode execution behind one global lock.
func WithGIL(on bool) Option { return func(o *Options) { o.GIL = on } }

// WithWire makes thread mode round-trip every task through the wire codec.
func WithWire(on bool) Option { return func(o *Options) { o.Wire = on } }

// WithBorrowResults makes the Raw of Run's results valid only during its
// callback, so that the pool can read later results into the same memory.
func WithBorrowResults(on bool) Option { return func(o *Options) { o.BorrowResults = on } }

// WithRetries sets how many more times a task is sent when its worker dies.
func WithRetries(n int) Option { return func(o *Options) { o.Retries = n } }

// WithSpin sets how long the ends of a short round trip poll for each other
// before they sleep (see Options.Spin); d ≤ 0: never.
func WithSpin(d time.Duration) Option {
	return func(o *Options) {
		if d <= 0 {
			d = -1
		}
		o.Spin = d
	}
}

// WithFrameTimeout sets how long a worker may take to finish a frame it has
// begun to send (see Options.FrameTimeout).
func WithFrameTimeout(d time.Duration) Option { return func(o *Options) { o.FrameTimeout = d } }

// WithWarnAfter sets how long a task may run in a worker process before the
// pool warns about it (see Options.WarnAfter); d < 0: never.
func WithWarnAfter(d time.Duration) Option { return func(o *Options) { o.WarnAfter = d } }

// WithTaskTimeout sets how long one task may run in a worker process.
func WithTaskTimeout(d time.Duration) Option { return func(o *Options) { o.TaskTimeout = d } }

// WithMaxTasksPerWorker sets how many tasks a worker process runs before it
// is replaced.
func WithMaxTasksPerWorker(n int) Option { return func(o *Options) { o.MaxTasksPerWorker = n } }

// WithGrace sets how long workers may finish their tasks at Close or when a
// Run's context ends.
func WithGrace(d time.Duration) Option { return func(o *Options) { o.Grace = d } }

// WithWorkerProcs sets the GOMAXPROCS of each worker process (see
// Options.WorkerProcs).
func WithWorkerProcs(n int) Option { return func(o *Options) { o.WorkerProcs = n } }

// WithEnv adds "KEY=value" entries to the workers' environment.
func WithEnv(env ...string) Option { return func(o *Options) { o.Env = append(o.Env, env...) } }

// WithLogger sets the logger for the pool and for relayed worker logs.
func WithLogger(l zerolog.Logger) Option { return func(o *Options) { o.Logger = l } }

// WithOptions replaces all options at once.
func WithOptions(opts Options) Option { return func(o *Options) { *o = opts } }

// useLanes: the default transport gives workers shared-memory lanes for
// large payloads (docs/PROTOCOL.md §5.1). Tests turn it off to cover the
// frames alone.
var useLanes = true

// transport returns the transport the options name, or the default one.
func (o *Options) transport() (transport.Transport, error) {
	if o.Transport != nil {
		return o.Transport, nil
	}
	return pipe.New(pipe.Config{Command: o.Command, NoLanes: !useLanes})
}

func (o *Options) fill() {
	if unset(o.Logger) {
		o.Logger = defaultLogger()
	}
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 10 * time.Second
	}
	if o.FrameTimeout <= 0 {
		o.FrameTimeout = 10 * time.Second
	}
	if o.WarnAfter == 0 {
		o.WarnAfter = 30 * time.Second
	}
	if o.Grace <= 0 {
		o.Grace = 5 * time.Second
	}
	if o.LogLevel == "" {
		o.LogLevel = "info"
	}
	if o.Batch < 0 {
		o.Batch = 0
	}
	if o.Spin == 0 && runtime.NumCPU() > 1 {
		o.Spin = defaultSpin
	}
}

// defaultSpin is Options.Spin's default: long enough for a one-call Run's
// round trip with both ends polling, faster than with both sleeping, and
// for the worker's poll to last through the caller's turn between two
// calls (bench/RESULTS.md, "Design measurements": Polling both ends).
const defaultSpin = 50 * time.Microsecond
