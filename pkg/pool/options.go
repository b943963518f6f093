package pool

import (
	"runtime"
	"time"

	"github.com/rs/zerolog"
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
	// Command is the worker program and its arguments. Default: this very
	// executable (os.Executable), which becomes a worker when it calls
	// worker.Main under worker.IsWorker.
	Command []string
	Env     []string // extra environment for workers, "KEY=value"
	// Batch is the most tasks sent to a worker in one frame; 0 adapts it
	// to the tasks' duration, 1 sends each task in its own frame.
	Batch int
	// GIL runs thread-mode tasks one at a time behind one lock, released
	// while a task blocks (task.Blocking), as CPython's GIL is.
	GIL bool
	// Wire makes thread mode encode and decode every task and result with
	// the wire codec, to measure serialization apart from process costs.
	Wire bool
	// HandshakeTimeout bounds how long a new worker may take to say Hello;
	// default 10 s.
	HandshakeTimeout time.Duration
	// Grace is how long Close lets workers finish before it kills them;
	// default 5 s.
	Grace time.Duration
	// TaskTimeout, when positive, bounds how long one task may run in a
	// worker process: an overdue task's worker is killed and replaced, and
	// the task fails with kind wire.KindTimeout (it is not retried).
	TaskTimeout time.Duration
	// MaxTasksPerWorker, when positive, replaces a worker process after it
	// has completed that many tasks.
	MaxTasksPerWorker int
	// Retries is how many more times a task is sent when its worker dies
	// while holding it; default 0, no retry.
	Retries int
	Logger  zerolog.Logger // default: discards
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

// WithBatch sets the most tasks per frame (0: adaptive).
func WithBatch(n int) Option { return func(o *Options) { o.Batch = n } }

// WithGIL serializes thread-mode execution behind one global lock.
func WithGIL(on bool) Option { return func(o *Options) { o.GIL = on } }

// WithWire makes thread mode round-trip every task through the wire codec.
func WithWire(on bool) Option { return func(o *Options) { o.Wire = on } }

// WithRetries sets how many more times a task is sent when its worker dies.
func WithRetries(n int) Option { return func(o *Options) { o.Retries = n } }

// WithLogger sets the logger for the pool and for relayed worker logs.
func WithLogger(l zerolog.Logger) Option { return func(o *Options) { o.Logger = l } }

// WithOptions replaces all options at once.
func WithOptions(opts Options) Option { return func(o *Options) { *o = opts } }

func (o *Options) fill() {
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 10 * time.Second
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
}
