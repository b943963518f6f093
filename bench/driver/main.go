// Command driver is make bench: it measures brine beside its anchors (the
// Python programs of ../shared/anchors and the raw limits of bin/rawpipe),
// interleaved repetition by repetition so that drift on a shared machine
// hits every side alike, and prints every brine figure as a ratio to its
// anchor, with the project's performance targets. After the repetitions it
// re-measures alone each anchor that a target rests on, and judges no
// target whose anchor was unsteady or disagrees with itself alone (see
// checkAnchor). It writes the same table to bench/RESULTS.md.
//
//	driver [-reps 5] [-quick] [-bin bin] [-anchors ../shared/anchors] [-python PATH] [-out bench/RESULTS.md] [-budget 9m]
//
// scripts/bench.sh builds it and runs it from the repository root. Every
// command it runs has a timeout, after which its process group is killed; a
// measurement that fails shows as "n/a (reason)" and the run goes on.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintf(os.Stderr, "driver: %v\n", err)
		os.Exit(1)
	}
}

// config is what to measure and how much.
type config struct {
	reps        int
	quick       bool
	tasks       int            // echo throughput runs and Pool/ThreadPool maps
	manyTasks   int            // the long echo run and its Pool.map: a million tasks
	slowTasks   map[string]int // per job of slowJobs: a run of 0.3–1 s on 2 workers
	ppeTasks    int            // ProcessPoolExecutor chunksize 1, which is slow
	cs1Payload  int            // Pool.map chunksize 1 with 4 KiB payloads, also slow
	rttN        int            // rawpipe rtt round trips
	pipeBytes   string         // rawpipe throughput transfer
	mibTasks    int            // 1 MiB echo tasks
	streamTasks int            // the streamed run whose RSS is measured
	rounds      int            // barrier rounds
	spawnReps   int            // spawn repetitions inside rawpipe and pool_first.py, and whole cold runs of each side
	roundTrips  int            // timed one-task Runs
	barrierN    []int
	budget      time.Duration // no repetition starts that would end past it
	only        string        // -only: measure only the probes with a key that contains one of these, comma-separated

	binDir, anchors, python, poolAnchor, poolWhole, out string
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func parseConfig(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("driver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.reps, "reps", envInt("BENCH_REPS", 5), "interleaved repetitions (env BENCH_REPS)")
	fs.BoolVar(&c.quick, "quick", os.Getenv("BENCH_QUICK") == "1", "smoke test: 1 repetition, small counts (env BENCH_QUICK=1)")
	fs.StringVar(&c.binDir, "bin", "bin", "directory of coordinator, worker and rawpipe")
	shared := os.Getenv("BRINE_SHARED")
	if shared == "" {
		shared = filepath.Join("..", "shared")
	}
	fs.StringVar(&c.anchors, "anchors", filepath.Join(shared, "anchors"), "directory of the Python anchor programs")
	fs.StringVar(&c.poolAnchor, "pool-anchor", filepath.Join("scripts", "pool_anchor.py"), "scripts/pool_anchor.py")
	fs.StringVar(&c.poolWhole, "pool-whole", filepath.Join("scripts", "pool_whole.py"), "scripts/pool_whole.py")
	fs.StringVar(&c.python, "python", os.Getenv("BRINE_PYTHON"), "the real Python interpreter (env BRINE_PYTHON; default: what python3 resolves to)")
	fs.StringVar(&c.out, "out", filepath.Join("bench", "RESULTS.md"), "where to write the Markdown table; empty: nowhere (the default with -quick)")
	budget := fs.Duration("budget", time.Duration(envInt("BENCH_BUDGET", 540))*time.Second,
		"start no repetition expected to end after this; the quiet re-measures come after (env BENCH_BUDGET, seconds)")
	fs.StringVar(&c.only, "only", "", "measure only the probes with a key that contains one of these, comma-separated, e.g. nats,brine.rtt (a smoke test of one section)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.budget = *budget
	outSet := false
	fs.Visit(func(f *flag.Flag) { outSet = outSet || f.Name == "out" })
	if c.quick && !outSet {
		c.out = "" // a smoke test must not replace the results of a full run
	}
	c.scale()
	if c.reps < 1 {
		return c, fmt.Errorf("-reps must be at least 1")
	}
	return c, nil
}

// scale sets the counts: the benchmark's shapes, or a smoke test's.
func (c *config) scale() {
	// Pool.map chunksize 1 and ProcessPoolExecutor send each task alone, so
	// their rate does not depend on the count: fewer tasks keep make bench
	// within 10 minutes. Pool.map's default chunksize is n/(4·workers), so
	// the default-chunksize maps keep 100,000.
	c.tasks, c.ppeTasks, c.cs1Payload, c.rttN, c.pipeBytes = 100_000, 10_000, 25_000, 30_000, "1GiB"
	c.mibTasks, c.streamTasks, c.rounds, c.spawnReps, c.roundTrips = 300, 1_000_000, 200, 5, 3000
	c.manyTasks = 1_000_000
	c.slowTasks = map[string]int{"primes": 100, "hash": 10_000, "sleep": 50}
	c.barrierN = []int{2, 4, 8}
	if c.quick {
		c.manyTasks = 100_000
		c.slowTasks = map[string]int{"primes": 30, "hash": 2_000, "sleep": 16}
		c.reps = 1
		c.tasks, c.ppeTasks, c.cs1Payload, c.rttN, c.pipeBytes = 10_000, 2_000, 5_000, 5_000, "256MiB"
		c.mibTasks, c.streamTasks, c.rounds, c.spawnReps, c.roundTrips = 50, 100_000, 50, 3, 500
	}
}

// driver runs the probes.
type driver struct {
	cfg config
	log io.Writer
}

func (d *driver) bin(name string) string { return filepath.Join(d.cfg.binDir, name) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseConfig(args, stderr)
	if err != nil {
		return err
	}
	if err := c.resolve(ctx); err != nil {
		return err
	}
	d := &driver{cfg: c, log: stderr}
	host := describeHost(ctx, c)
	fmt.Fprintf(stderr, "bench: %d repetitions, interleaved; %s\n", c.reps, host.summary())
	s, reps := d.measure(ctx)
	host.finish(reps)
	if err := writeReport(stdout, c, host, s, false); err != nil {
		return err
	}
	if c.out != "" {
		if err := writeResults(c, host, s); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "bench: wrote %s\n", c.out)
	}
	return ctx.Err()
}

// resolve makes paths absolute and finds the interpreter and the programs,
// failing early with what to do rather than on every measurement.
func (c *config) resolve(ctx context.Context) error {
	for _, p := range []*string{&c.binDir, &c.anchors, &c.poolAnchor, &c.poolWhole} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	for _, name := range []string{"coordinator", "worker", "worker-pipe", "worker-plugin", "rawpipe"} {
		if _, err := os.Stat(filepath.Join(c.binDir, name)); err != nil {
			return fmt.Errorf("%s: run make build and scripts/bench.sh, which builds rawpipe", err)
		}
	}
	if _, err := os.Stat(filepath.Join(c.anchors, "pool_bench.py")); err != nil {
		return fmt.Errorf("%v: pass -anchors or set BRINE_SHARED to the directory holding anchors/", err)
	}
	if c.python == "" {
		// python3 on PATH may be a shim that slows each start
		// (bench/RESULTS.md, "Design measurements": Resolving python3).
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		out, err := command(ctx, nil, "python3", "-c", "import sys; print(sys.executable)")
		if err != nil {
			return fmt.Errorf("resolving python3: %w", err)
		}
		c.python = strings.TrimSpace(string(out.stdout))
	}
	return nil
}
