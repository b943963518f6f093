package coordinator

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/task"
)

// config is the parsed command line of a job run.
type config struct {
	workers      int
	job          *jobs.Job
	params       jobs.Params
	build        func(i int) task.Call // makes task i's call to job
	modes        []string              // in runModes order
	sweep        []int                 // worker counts of -sweep; nil runs at workers
	repeat       int                   // -repeat: times each step is run, the steps taking turns
	wide         bool                  // -wide: the table's serialization, spawn and memory columns too
	plot         string                // -plot: where to draw speedup against workers
	report       string                // "", "-" or a file name
	workerPath   string
	transport    string // -transport: how worker processes are reached
	logLevel     string
	batch        int
	retries      int
	taskTimeout  time.Duration
	warnAfter    time.Duration
	maxTasks     int
	gil          bool
	handshake    time.Duration
	grace        time.Duration
	noProgress   bool
	warmup       int    // -warmup: tasks run on each pool before its timed run
	cpuProfile   string // -cpuprofile: where to write a pprof CPU profile of the runs
	tasksSet     bool
	sizeSet      bool
	faultSet     bool
	handshakeSet bool
	keep         bool       // keep every result: for the report, or to compare runs
	obs          observing  // -metrics, -trace, -timeline (observe.go)
	lastCol      *collector // of the last run, for the summary
	busy         busy       // how busy the machine was as the runs started

	nats natsConfig // the flags of -transport nats (nats.go)
}

// exitHelp ends the run's -help; README.md has the same table.
const exitHelp = `
exit status:
  0   every task succeeded
  1   some task failed, the runs' outputs differ, or the run could not complete
  2   the command line is wrong (also: more workers than a run can start, a -worker that is missing or not executable)
  3   the report or the plot could not be written (their paths are checked before the first task)
  129, 130, 143
      stopped by SIGHUP, SIGINT or SIGTERM; the report is still written
`

const runSynopsis = "coordinator [-workers N|-sweep N,N...] [-job NAME] [-tasks T] [-size S] [-mode MODE] [-gil] [-repeat N] [-wide]\n" +
	"                   [-report FILE|-] [-plot FILE] [flags]\n" +
	"       coordinator demo serialize|closure|condition|barrier|shared [flags]\n" +
	"       coordinator grade [-expect FILE] [-junit FILE] [-gradescope FILE] REPORT.json"

func parseRun(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := newFlagSet("coordinator", runSynopsis, stderr)
	flagsHelp := fs.Usage
	fs.Usage = func() { flagsHelp(); fmt.Fprint(fs.Output(), exitHelp) }
	fs.IntVar(&c.workers, "workers", runtime.NumCPU(), fmt.Sprintf("number of workers: at most %d, and worker processes at most what the limit on open files allows, %d each", poolMaxWorkers, fdsPerWorker))
	job := fs.String("job", "primes", "job to run: "+strings.Join(jobs.Names(), ", "))
	fs.IntVar(&c.params.Tasks, "tasks", 0, "number of tasks (default: the job's)")
	fs.Int64Var(&c.params.Size, "size", 0, "the job's size parameter (default: the job's)")
	fs.Int64Var(&c.params.Seed, "seed", 1, "seed of the job's inputs")
	fs.StringVar(&c.params.Fault, "fault", "", "misbehaviour of the fault job: "+strings.Join(jobs.FaultModes, ", "))
	mode := fs.String("mode", "process", modeHelp)
	fs.BoolVar(&c.gil, "gil", false, "add a thread-gil run: thread mode with one global lock, released while a task sleeps or waits (as CPython's GIL)")
	sweep := fs.String("sweep", "", "run the modes at each of these worker counts, e.g. 1,2,4,8 (replaces -workers)")
	fs.IntVar(&c.repeat, "repeat", 1, "run every mode `N` times, the modes taking turns, and show the median and the spread (min–max)")
	fs.BoolVar(&c.wide, "wide", false, "add the table's wider columns: tasks/s, bytes sent and received, encode, decode, spawn, peak RSS")
	fs.StringVar(&c.plot, "plot", "", "draw speedup against workers per mode into this .svg, .png or .pdf file")
	fs.StringVar(&c.report, "report", "", "write the JSON report to this file; - writes only the report to stdout")
	fs.StringVar(&c.workerPath, "worker", "", "worker binary (default: the one beside the coordinator that serves -transport: worker-pipe, else worker, for pipes; worker-plugin; worker for NATS)")
	fs.StringVar(&c.transport, "transport", "pipe", "how worker processes are reached: "+strings.Join(transports, ", "))
	c.nats.register(fs, stderr)
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.IntVar(&c.batch, "batch", 0, "most tasks per frame; 0 adapts to the tasks' duration")
	fs.IntVar(&c.retries, "retries", 2, "times (`K`) a task is sent again after workers died running it alone: the tasks a dead worker held\n"+
		"are each sent again, alone, whatever K is (which of them killed it cannot be known), and a task fails\n"+
		"as worker_died once workers died K+1 times holding it, the last time with nothing else")
	fs.DurationVar(&c.taskTimeout, "task-timeout", 0, "kill a worker whose task runs longer than this (0: no limit)")
	fs.DurationVar(&c.warnAfter, "warn-after", 30*time.Second, "warn, naming task, worker and pid, when a task has run this long in a worker, then twice as long... (0: never)")
	fs.IntVar(&c.maxTasks, "max-tasks-per-worker", 0, "replace a worker after this many tasks (0: never)")
	fs.DurationVar(&c.handshake, "handshake-timeout", 10*time.Second, "how long a worker may take to start; unless set, 100ms per worker per CPU more, as the workers start at once")
	fs.DurationVar(&c.grace, "grace", 5*time.Second, "how long workers may finish their tasks at shutdown")
	fs.BoolVar(&c.noProgress, "no-progress", false, "never show a progress bar")
	fs.IntVar(&c.warmup, "warmup", 0, "run the job's first `N` tasks on each pool, untimed and unreported, before its timed run (as benchmarks warm a pool)")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the coordinator's runs to this file (go tool pprof)")
	fs.StringVar(&c.obs.metrics, "metrics", "", "serve Prometheus metrics at http://`ADDR`/metrics while the runs go on (e.g. 127.0.0.1:9464)")
	fs.StringVar(&c.obs.trace, "trace", "", "write every task as Chrome trace-event JSON to this file (open it in ui.perfetto.dev)")
	fs.StringVar(&c.obs.timeline, "timeline", "", "draw every task on its worker's lane against time, a panel per run, into this .svg, .png or .pdf file")
	if err := parse(fs, args, false); err != nil {
		return nil, err
	}
	if f := c.fullFeature(); leanBuild && f != "" {
		return nil, needsFull(f)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) {
		set[f.Name] = true
		c.tasksSet = c.tasksSet || f.Name == "tasks"
		c.sizeSet = c.sizeSet || f.Name == "size"
		c.faultSet = c.faultSet || f.Name == "fault"
		c.handshakeSet = c.handshakeSet || f.Name == "handshake-timeout"
	})
	if err := c.resolve(*job, *mode, *sweep); err != nil {
		return c, err
	}
	return c, c.checkNATS(func(f string) bool { return set[f] })
}

func (c *config) resolve(job, mode, sweep string) error {
	var err error
	if c.job, err = jobs.Lookup(job); err != nil {
		return usagef("%v", err)
	}
	if !c.tasksSet {
		c.params.Tasks = c.job.Tasks
	}
	if !c.sizeSet {
		c.params.Size = c.job.Size
	}
	if err := c.check(); err != nil {
		return err
	}
	if c.build, err = c.job.Calls(c.params); err != nil {
		return usagef("%v", err)
	}
	if c.modes, err = expandModes(mode, c.gil); err != nil {
		return err
	}
	if sweep != "" {
		if c.sweep, err = parseSweep(sweep); err != nil {
			return err
		}
		c.workers = slices.Max(c.sweep)
	}
	if err := c.checkWorkers(); err != nil {
		return err
	}
	return checkPlotFile(c.plot)
}

// transports are the values -transport takes: pipes to child processes,
// hashicorp/go-plugin (pkg/transport/plugin), or NATS JetStream
// (pkg/transport/nats).
var transports = []string{"pipe", "plugin", "nats"}

// checkWorkers refuses worker counts beyond what a run can start.
func (c *config) checkWorkers() error {
	lim := limitWorkers(slices.Contains(c.modes, modeProcess))
	for _, n := range c.sweep {
		if err := lim.check("-sweep", n); err != nil {
			return err
		}
	}
	return lim.check("-workers", c.workers)
}

// handshakeFor is the handshake timeout of a pool of n workers.
func (c *config) handshakeFor(n int) time.Duration {
	if c.handshakeSet {
		return c.handshake
	}
	return handshakeFor(n)
}

// logLevels are the values -log-level takes.
var logLevels = []string{"debug", "info", "warn", "error"}

// check refuses flag values that no run can use.
func (c *config) check() error {
	switch {
	case c.workers < 1 && (c.workers < 0 || c.transport != "nats"):
		return usagef("-workers must be at least 1, not %d", c.workers)
	case c.params.Tasks < 0:
		return usagef("-tasks must not be negative")
	case c.params.Size < 0:
		return usagef("-size must not be negative")
	case c.batch < 0:
		return usagef("-batch must not be negative")
	case c.retries < 0:
		return usagef("-retries must not be negative")
	case c.taskTimeout < 0:
		return usagef("-task-timeout must not be negative")
	case c.warnAfter < 0:
		return usagef("-warn-after must not be negative (0 turns the warnings off)")
	case c.maxTasks < 0:
		return usagef("-max-tasks-per-worker must not be negative")
	case c.repeat < 1:
		return usagef("-repeat must be at least 1, not %d", c.repeat)
	case c.warmup < 0:
		return usagef("-warmup must not be negative")
	case c.grace <= 0:
		return usagef("-grace must be positive, not %v (a short one, like 1ms, stops running tasks at once)", c.grace)
	case c.handshake <= 0:
		return usagef("-handshake-timeout must be positive, not %v", c.handshake)
	case !slices.Contains(transports, c.transport):
		return usagef("-transport %q: want one of %s", c.transport, strings.Join(transports, ", "))
	case !slices.Contains(logLevels, c.logLevel):
		return usagef("-log-level %q: want one of %s", c.logLevel, strings.Join(logLevels, ", "))
	case c.faultSet && c.job.Name != "fault":
		return usagef("-fault applies only to -job fault, not to -job %s: drop -fault or add -job fault", c.job.Name)
	}
	return nil
}

// workerCommand is the worker binary of a process run: -worker, or the
// leanest beside the coordinator that serves the transport (make build
// builds the three): "worker-pipe" for pipes, or "worker" where it is the
// only one; "worker-plugin" for -transport plugin, the worker built with
// go-plugin's server in; "worker" for NATS.
func (c *config) workerCommand() (string, error) {
	switch {
	case c.workerPath != "":
		return findWorker(c.workerPath)
	case c.transport == "plugin":
		return findWorkerNamed("worker-plugin")
	case c.transport == "pipe":
		return findPipeWorker("")
	}
	return findWorker("")
}

// findPipeWorker returns path if set, else the leanest worker beside the
// coordinator that serves pipes: "worker-pipe", or "worker" without it.
func findPipeWorker(path string) (string, error) {
	if path != "" {
		return findWorker(path)
	}
	return findBeside(besideCoordinator(), "worker-pipe", "worker")
}

// findWorker returns path if set, else the "worker" beside the
// coordinator's executable or beside the name it was invoked by. A worker
// that cannot be found or run is a usage error: the user fixes it with
// -worker or by building the worker.
func findWorker(path string) (string, error) {
	if path != "" {
		if _, err := lookPath(path); err != nil {
			return "", usagef("-worker %s: %s: give the path of a worker binary, or build it (make build)", path, whyNotRunnable(err))
		}
		return path, nil
	}
	return findWorkerNamed("worker")
}

// findWorkerNamed returns the binary called name beside the coordinator's
// executable or beside the name it was invoked by.
func findWorkerNamed(name string) (string, error) { return findBeside(besideCoordinator(), name) }

// besideCoordinator lists where worker binaries are looked for: the
// directory of the coordinator's executable, and that of the name it was
// invoked by.
func besideCoordinator() []string {
	var dirs []string
	if self, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(self))
	}
	if p, err := lookPath(os.Args[0]); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	return dirs
}

// findBeside returns the first of names found in dirs, every dir looked in
// for a name before the next name.
func findBeside(dirs []string, names ...string) (string, error) {
	var tried []string
	for _, name := range names {
		for _, d := range dirs {
			p := filepath.Join(d, name)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p, nil
			}
			tried = append(tried, p)
		}
	}
	return "", usagef("no worker binary at %s: build it (make build) or pass -worker PATH", strings.Join(tried, " or "))
}

// whyNotRunnable says in a few words why lookPath refused a file.
func whyNotRunnable(err error) string {
	switch {
	case errors.Is(err, exec.ErrNotFound):
		return "not found in $PATH"
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(err, syscall.EISDIR):
		return "a directory, not a binary"
	case errors.Is(err, fs.ErrPermission):
		return "not executable"
	}
	return err.Error()
}
