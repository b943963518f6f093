package coordinator

import (
	"context"
	"fmt"
	"io"
	"iter"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/report"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

var lookPath = exec.LookPath

// Version is brine's version, reported in every report.
var Version = "0.1.0"

// runJob runs the job the command line describes, once per step of its
// plan (each mode at each worker count). It reports whether any task
// failed or the runs' outputs differ.
func runJob(ctx context.Context, args []string, stdout, stderr io.Writer) (bool, error) {
	c, err := parseRun(args, stderr)
	if err != nil {
		return false, err
	}
	log := newLogger(stderr, c.logLevel)
	if slices.Contains(c.modes, modeProcess) {
		if _, err := c.workerCommand(); err != nil { // before the other runs, not after
			return false, err
		}
	}
	if err := checkOutput("-report", c.report, stdout); err != nil {
		return false, err
	}
	if err := checkOutput("-plot", c.plot, stdout); err != nil {
		return false, err
	}
	defer c.obs.close()
	if err := c.obs.begin(stdout, stderr); err != nil {
		return false, err
	}
	if c.cpuProfile != "" {
		stop, err := startCPUProfile(c.cpuProfile)
		if err != nil {
			return false, err
		}
		defer stop()
	}
	rep := c.newReport()
	c.busy = machineBusy()
	steps := c.plan()
	// Results are kept for the report and, with several runs, to compare
	// the runs' digests.
	c.keep = c.report != "" || len(steps)*c.repeat > 1
	var failed bool
	var results iter.Seq[*report.Result] // the first run's, for the report
	// Each repeat runs every step once, so that the modes take turns: a
	// spell of load on the machine slows one repeat of each, not every
	// run of one mode.
turns:
	for k := 1; k <= c.repeat && ctx.Err() == nil; k++ {
		for i, s := range steps {
			s.label = stepLabel(s, (k-1)*len(steps)+i+1, len(steps)*c.repeat)
			run, col, err := c.runStep(ctx, s, c.build, log, stderr)
			if err != nil {
				return false, err
			}
			if k == 1 && i == 0 {
				results = col.kept()
				rep.Cancelled = col.cancelled()
				rep.Digest = run.Digest
			}
			if c.repeat > 1 {
				run.Repeat = k
			}
			rep.Runs = append(rep.Runs, run)
			failed = failed || run.TasksFailed > 0
			if run.Error != "" {
				// The next steps' workers would fail to start as these did.
				log.Error().Str("mode", s.mode).Int("workers", s.workers).Msg(run.Error)
				break turns
			}
			if ctx.Err() != nil {
				break
			}
		}
	}
	if rep.Comparison = report.Compare(rep.Runs, runtime.NumCPU()); rep.Comparison != nil {
		rep.Comparison.Sweep = c.sweep
		if !rep.Comparison.IdenticalOutputs && ctx.Err() == nil {
			log.Error().Msg("the runs' outputs differ: every mode must compute the same results (see the digests in the report)")
			failed = true
		}
	}
	if err := c.output(rep, results, stdout, stderr); err != nil {
		return failed, err
	}
	if err := c.obs.write(rep, c.summaryOut(stdout)); err != nil {
		return failed, err
	}
	return failed, ctx.Err()
}

func (c *config) newReport() *report.Report {
	rep := newReport(c.job.Name, c.params.Tasks, c.params.Size, c.params.Seed, c.workers)
	rep.Fault = c.params.Fault
	return rep
}

// runStep runs the job once as s says and returns its run record and the
// collector of its results.
func (c *config) runStep(ctx context.Context, s step, build func(int) task.Call, log zerolog.Logger, stderr io.Writer) (report.Run, *collector, error) {
	col := newCollector(c.keep, s.mode == modeSerial || s.mode == modeThread || s.mode == modeThreadGIL)
	c.lastCol = col
	resetPeakRSS()
	var m measure
	var err error
	if s.mode == modeSerial {
		m, err = c.runSerial(ctx, s.label, build, col, stderr)
	} else {
		m, err = c.runPool(ctx, s, build, col, log, stderr)
	}
	if err != nil {
		return report.Run{}, nil, err
	}
	m.rss.coordinator = selfPeakRSS()
	run := col.run(s.mode, m)
	if m.startErr != nil {
		run.WorkerCount = s.workers // asked for, though none started
	}
	return run, col, nil
}

// runPool runs the job on a pool started for s.
func (c *config) runPool(ctx context.Context, s step, build func(int) task.Call, col *collector, log zerolog.Logger, stderr io.Writer) (measure, error) {
	opts, err := c.poolOptions(s, log)
	if err != nil {
		return measure{}, err
	}
	spawnStart := time.Now()
	p, err := pool.New(ctx, pool.WithOptions(opts))
	if err != nil && ctx.Err() != nil {
		// Interrupted while the workers started: no task ran, and the
		// report still says so, as runSegments would have: the first
		// segment's tasks cancelled one by one, the others never started.
		size := min(segmentTasks, c.params.Tasks)
		each := col.segment(0, size).one
		for k := range size {
			each(pool.Result{Index: k, Err: &pool.TaskError{Kind: wire.KindCancelled,
				Message: "the run was interrupted before its workers started: " + ctx.Err().Error()}})
		}
		col.skipped(size, c.params.Tasks)
		return measure{spawn: time.Since(spawnStart)}, nil
	}
	if err != nil {
		// No task ran: the report says why, with every task never started.
		col.skipped(0, c.params.Tasks)
		col.startFailed.Store(true)
		return measure{spawn: time.Since(spawnStart), startErr: err}, nil
	}
	m := measure{spawn: time.Since(spawnStart)}
	log.Debug().Str("mode", s.mode).Int("workers", s.workers).Dur("spawn", m.spawn).Msg("workers ready; running the tasks")
	warm := c.warm(ctx, p, build)
	bar := startProgress(stderr, s.label, c.params.Tasks, col, c.noProgress)
	start := startClean()
	watch := c.obs.start(s.mode, p)
	started, runErr := runSegments(ctx, p, c.params.Tasks, build, watch.segments(col))
	col.skipped(started, c.params.Tasks)
	m.wall = time.Since(start)
	watch.end()
	bar.stop()
	m.workers, m.serialized = warm.since(p.Workers(), p.Stats())
	m.warmup = warm.tasks
	m.rss.worker, m.rss.workers = workersPeakRSS(m.workers) // before Close reaps them
	if err := p.Close(); err != nil {
		log.Warn().Err(err).Msg("closing the pool")
	}
	if runErr != nil {
		return measure{}, runErr
	}
	return m, nil
}

// warmed is what a pool had done once warm ran: the counts of its workers
// and of its serialization, which the timed run's leave out.
type warmed struct {
	tasks   int
	workers map[int]pool.WorkerInfo // by slot id
	stats   pool.Stats
}

// warm runs the job's first -warmup tasks on p, their results dropped, so
// that the timed run starts on a pool that has run the job: its workers
// paged in and the pool's estimates of the tasks made, as Python's
// benchmarks warm their pools with a first map. It returns what p had done
// by then.
func (c *config) warm(ctx context.Context, p *pool.Pool, build func(int) task.Call) warmed {
	n := min(c.warmup, c.params.Tasks)
	if n == 0 {
		return warmed{}
	}
	drop := func(int, int) sink { return sink{one: func(pool.Result) {}} }
	runSegments(ctx, p, n, build, drop) // a failure here fails the timed run too, which reports it
	w := warmed{tasks: n, workers: map[int]pool.WorkerInfo{}, stats: p.Stats()}
	for _, wi := range p.Workers() {
		w.workers[wi.ID] = wi
	}
	return w
}

// since returns the workers' counts and the serialization counters of a
// pool less those of its warm-up.
func (w warmed) since(workers []pool.WorkerInfo, st pool.Stats) ([]pool.WorkerInfo, pool.Stats) {
	for i, wi := range workers {
		before := w.workers[wi.ID]
		workers[i].Tasks -= before.Tasks
		workers[i].Restarts -= before.Restarts
	}
	st.TaskBytes -= w.stats.TaskBytes
	st.ResultBytes -= w.stats.ResultBytes
	st.Encode -= w.stats.Encode
	st.Decode -= w.stats.Decode
	st.LaneBytes -= w.stats.LaneBytes
	return workers, st
}

// startClean collects the garbage of what came before a timed run (start-up,
// the pool's spawn, the run of an earlier mode) and returns the run's start,
// as testing.B does before each benchmark: otherwise the run pays for that
// collection, and the modes of one invocation are timed on different heaps.
// The first collection of a process costs most, enough to slow a short run
// markedly (bench/RESULTS.md, "Design measurements": Collecting before a
// timed run).
func startClean() time.Time {
	runtime.GC()
	return time.Now()
}

// warnAfter is pool.Options.WarnAfter for -warn-after d, where 0 means
// never.
func warnAfter(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

func (c *config) poolOptions(s step, log zerolog.Logger) (pool.Options, error) {
	o := pool.Options{
		Workers: s.workers, Batch: c.batch, Retries: c.retries,
		HandshakeTimeout: c.handshakeFor(s.workers), Grace: c.grace, Logger: log, LogLevel: c.logLevel,
		TaskTimeout: c.taskTimeout, MaxTasksPerWorker: c.maxTasks, WarnAfter: warnAfter(c.warnAfter),
		BorrowResults: true, // the collector decodes or counts each result; it keeps no Raw
	}
	switch s.mode {
	case modeThread:
		o.Mode = pool.Thread
	case modeThreadGIL:
		o.Mode, o.GIL = pool.Thread, true
	case modeThreadWire:
		o.Mode, o.Wire = pool.Thread, true
	case modeProcess:
		path, err := c.workerCommand()
		if err != nil {
			return o, err
		}
		o.Mode, o.Command = pool.Process, []string{path}
		if c.transport == "plugin" {
			if o.Transport, err = pluginTransport(o.Command); err != nil {
				return o, err
			}
		}
		if c.transport == "nats" {
			if o.Transport, o.Workers, err = c.natsTransport(s.workers, o.Command); err != nil {
				return o, err
			}
		}
	}
	return o, nil
}

// output writes the report, with results as its results, where -report
// says, the summary to stdout unless the report went there, and the plot
// -plot asks for. The summary is printed even when the report could not be
// written.
func (c *config) output(rep *report.Report, results iter.Seq[*report.Result], stdout, stderr io.Writer) error {
	summary := stdout
	if c.report == "-" {
		summary = io.Discard
	}
	repErr := writeReport(c.report, rep, results, stdout)
	if repErr != nil {
		repErr = failedOutput("-report", repErr)
	}
	printSummary(summary, rep, c)
	if repErr != nil {
		return repErr
	}
	if c.plot != "" {
		if err := drawSpeedup(c.plot, rep); err != nil {
			return err
		}
		fmt.Fprintf(summary, "\nspeedup plot: %s\n", c.plot)
	}
	return nil
}

// startCPUProfile profiles the coordinator into file until stop is called.
func startCPUProfile(file string) (stop func(), err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
