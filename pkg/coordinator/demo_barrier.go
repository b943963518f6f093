package coordinator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/brinehq/brine/pkg/cond"
	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/report"
	"github.com/brinehq/brine/pkg/task"
)

func init() {
	demos["barrier"] = demoBarrier
}

// settle is how long the releaser waits after every waiter is blocked, as
// the anchors' barrier_bench.py does, so that each round measures a release
// of sleeping processes.
const settle = 2 * time.Millisecond

// demoBarrier releases N worker processes from a shared barrier R times and
// measures each release: latency from the releaser's timestamp to the last
// waiter awake, skew from the first awake to the last, all on
// CLOCK_MONOTONIC taken in each process. The coordinator is the barrier's
// last party: its arrival is the release.
func demoBarrier(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("coordinator demo barrier",
		"coordinator demo barrier [-workers N] [-rounds R] [-spin D] [-mode process|thread] [-report FILE|-] [-worker PATH]", stderr)
	workers := fs.Int("workers", 2, "number of waiting workers")
	rounds := fs.Int("rounds", 100, "number of releases")
	spin := fs.Duration("spin", 0, "in process mode, waiters spin this long, yielding the CPU, before they sleep (e.g. 5ms; 0: they sleep at once)")
	mode := fs.String("mode", "process", "process or thread")
	reportTo := fs.String("report", "", "write the JSON report to this file; - writes only the report to stdout")
	workerPath := fs.String("worker", "", "worker binary (default: worker-pipe beside the coordinator, else worker)")
	obs := barrierFlags(fs)
	if err := parse(fs, args, false); err != nil {
		return err
	}
	if leanBuild && obs.wanted() {
		return needsFull("-metrics or -trace")
	}
	if *workers < 1 || *rounds < 1 {
		return usagef("-workers and -rounds must be at least 1")
	}
	if *spin < 0 {
		return usagef("-spin must not be negative")
	}
	if *rounds > maxRounds {
		return usagef("-rounds %d: at most %d (every round's wake times are kept for the report)", *rounds, maxRounds)
	}
	if err := limitWorkers(*mode == "process").check("-workers", *workers); err != nil {
		return err
	}
	if err := checkOutput("-report", *reportTo, stdout); err != nil {
		return err
	}
	defer obs.close()
	if err := obs.begin(stdout, stderr); err != nil {
		return err
	}
	if w := spinWarning(*spin, *workers, runtime.NumCPU()); w != "" && *mode == "process" {
		printWrapped(stderr, w, "  ")
	}
	out := stdout
	if *reportTo == "-" {
		out = io.Discard
	}
	started := time.Now()
	rec, ws, err := measureBarrier(ctx, *mode, *workerPath, *workers, *rounds, *spin, obs.barrier(*mode))
	if err != nil {
		return err
	}
	rep := barrierReport(rec, *mode, *workers, time.Since(started), ws)
	how := ""
	if *spin > 0 {
		how = fmt.Sprintf(", waiters spinning up to %v", *spin)
	}
	fmt.Fprintf(out, "barrier: %d %s workers released %d times%s\nrelease latency: median %.1f µs, p99 %.1f µs\nskew:            median %.1f µs, p99 %.1f µs\n",
		*workers, *mode, *rounds, how, rec.LatencyUS.Median, rec.LatencyUS.P99, rec.SkewUS.Median, rec.SkewUS.P99)
	if *mode == "process" && out != io.Discard {
		// The same barrier between goroutines of one process, for comparison.
		// It is not observed: -trace and -metrics record the mode asked for.
		threads, _, err := measureBarrier(ctx, "thread", "", *workers, *rounds, 0, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "threads instead: latency median %.1f µs, p99 %.1f µs; skew median %.1f µs, p99 %.1f µs\n",
			threads.LatencyUS.Median, threads.LatencyUS.P99, threads.SkewUS.Median, threads.SkewUS.P99)
		fmt.Fprintln(out)
		printWrapped(out, barrierExplained(rec, threads, *spin), "")
	}
	if err := writeReport(*reportTo, rep, report.Each(rep.Results), stdout); err != nil {
		return failedOutput("-report", err)
	}
	return obs.write(rep, out)
}

// measureBarrier runs the waiters on a pool of mode and releases them
// rounds times, passing the release and wake times to seen unless it is nil.
func measureBarrier(ctx context.Context, mode, workerPath string, workers, rounds int, spin time.Duration,
	seen func(t0s []int64, wakes [][]int64)) (*report.Barrier, []pool.WorkerInfo, error) {
	p, err := demoPool(ctx, mode, workerPath, workers)
	if err != nil {
		return nil, nil, err
	}
	defer p.Close()
	rec, err := releaseRounds(ctx, p, workers, rounds, spin, seen)
	if err != nil {
		return nil, nil, err
	}
	rec.SpinUS = float64(spin) / float64(time.Microsecond)
	return rec, p.Workers(), nil
}

// barrierExplained says what the figures are, and how the processes'
// release compares with the goroutines'.
func barrierExplained(procs, threads *report.Barrier, spin time.Duration) string {
	than := "about as long as"
	if r := procs.LatencyUS.Median / max(threads.LatencyUS.Median, 0.001); r >= 1.5 {
		than = fmt.Sprintf("%.1f× as long as", r)
	} else if r <= 1/1.5 {
		than = fmt.Sprintf("%.1f× less than", 1/r)
	}
	why := "a sleeping process is woken by the kernel and must be scheduled on a CPU, where the goroutines " +
		"are woken by Go's scheduler inside the coordinator's own process."
	if spin > 0 {
		why = fmt.Sprintf("the waiting processes spun up to %v before they slept; the goroutines slept at once.", spin)
	}
	return "Release latency is the time from the release (the coordinator, the last party, arrives) to the " +
		"moment the last waiter is awake; skew, from the first waiter awake to the last. Each process reads " +
		"CLOCK_MONOTONIC, which all processes share. Releasing the worker processes took " + than +
		" releasing as many goroutines from the same barrier (medians): " + why
}

// spinWarning warns that waiters spinning on an oversubscribed machine
// slow the release they wait for: they hold the CPUs that the releaser and
// the waiters yet to arrive need, and yielding does not hand those over at
// once. It returns "" when every party has a CPU of its own, or none spins.
func spinWarning(spin time.Duration, workers, cpus int) string {
	if spin <= 0 || workers+1 <= cpus {
		return ""
	}
	return fmt.Sprintf("warning: -spin %v with %d spinning waiters and the coordinator on %d CPUs: "+
		"the spinning waiters take the CPUs that the others need to arrive, so a release can come much "+
		"later, not sooner; spinning pays when every party has a CPU of its own (here: -workers %d)",
		spin, workers, cpus, max(cpus-1, 1))
}

// maxRounds bounds -rounds: each worker returns its wake times in one
// result, 9 bytes a round.
const maxRounds = 1_000_000

// releaseRounds runs the waiters and releases them round after round,
// and passes the rounds' release and wake times to seen, unless it is nil.
func releaseRounds(ctx context.Context, p *pool.Pool, n, rounds int, spin time.Duration, seen func(t0s []int64, wakes [][]int64)) (*report.Barrier, error) {
	objs := p.Objects()
	b, err := objs.Barrier("demo.barrier", n+1)
	if err != nil {
		return nil, err
	}
	spec := task.Bind(jobs.BarrierRounds, jobs.BarrierSpec{Name: "demo.barrier", Parties: n + 1, Rounds: rounds, Spin: spin})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wakes := make([][]int64, n)
	var runErr error
	var failMu sync.Mutex
	var failed error // the first waiter's failure
	var wg sync.WaitGroup
	wg.Go(func() {
		runErr = p.Run(ctx, n, func(i int) task.Call { return spec.Call(int64(i)) }, func(r pool.Result) {
			if r.Err != nil {
				failMu.Lock()
				if failed == nil {
					failed = r.Err
				}
				failMu.Unlock()
				b.Abort() // the releaser must not wait for a party that is gone
				return
			}
			if r.Raw == nil {
				wakes[r.Index], _ = r.Value.([]int64)
				return
			}
			task.Unmarshal(r.Raw, &wakes[r.Index])
		})
	})
	t0s, relErr := release(ctx, b, n, rounds)
	if relErr != nil {
		cancel() // the waiters' tasks, which cannot complete now
	}
	wg.Wait()
	if relErr != nil {
		return nil, barrierStopped(relErr, failed, len(t0s), rounds)
	}
	if runErr != nil {
		return nil, fmt.Errorf("barrier demo stopped: %w", runErr)
	}
	if seen != nil {
		seen(t0s, wakes)
	}
	return summarise(t0s, wakes, n)
}

// stopError says why a demonstration stopped in the terms of its command
// line, and wraps the cause for errors.As.
type stopError struct {
	msg   string
	cause error
}

func (e *stopError) Error() string { return e.msg }
func (e *stopError) Unwrap() error { return e.cause }

// barrierStopped explains the error that stopped the releaser after done
// of rounds rounds; failed is the first waiter's failure, if any. The
// barrier's own error tells a program to Reset the barrier, which the
// user of the command line cannot do.
func barrierStopped(err, failed error, done, rounds int) error {
	at := fmt.Sprintf("barrier demo stopped in round %d of %d", done+1, rounds)
	var died *cond.PartyDiedError
	switch {
	case errors.As(err, &died):
		how := died.Status
		if how == "" {
			how = "how is not known yet"
		}
		return &stopError{fmt.Sprintf("%s: worker pid %d died (%s), and the barrier cannot release the other workers without it; "+
			"see the log for why it died, and run the demo again", at, died.PID, how), err}
	case errors.Is(err, cond.ErrBroken) && failed != nil:
		return &stopError{fmt.Sprintf("%s: a worker's task failed (%v), and the barrier cannot release the other workers without it; "+
			"run the demo again", at, failed), err}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err // interrupted: Main says so
	}
	return fmt.Errorf("%s: %w", at, err)
}

// release is the releaser's side: wait until all n are blocked, settle,
// timestamp, arrive last.
// On failure it returns the release times of the rounds it completed.
func release(ctx context.Context, b cond.Barrier, n, rounds int) ([]int64, error) {
	t0s := make([]int64, 0, min(rounds, 1<<12)) // a run that breaks early need not pay for all
	for range rounds {
		for b.Waiting() < n {
			if b.Broken() {
				_, _, err := b.Wait(ctx) // returns the reason it broke
				return t0s, err
			}
			if err := sleepCtx(ctx, 100*time.Microsecond); err != nil {
				return t0s, err
			}
		}
		if err := sleepCtx(ctx, settle); err != nil {
			return t0s, err
		}
		t0 := cond.Now()
		if _, _, err := b.Wait(ctx); err != nil {
			return t0s, err
		}
		t0s = append(t0s, t0)
	}
	return t0s, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// summarise turns release and wake times into per-round records.
func summarise(t0s []int64, wakes [][]int64, n int) (*report.Barrier, error) {
	rec := &report.Barrier{Kind: "barrier", Workers: n, Rounds: len(t0s)}
	var lat, skew []float64
	for r, t0 := range t0s {
		var first, last int64
		wakeUS := make([]float64, n)
		for w := range n {
			if len(wakes[w]) <= r {
				return nil, fmt.Errorf("worker %d reported %d wakes, want %d", w, len(wakes[w]), len(t0s))
			}
			t := wakes[w][r]
			if w == 0 || t < first {
				first = t
			}
			last = max(last, t)
			wakeUS[w] = float64(t-t0) / 1e3
		}
		rr := report.RoundRecord{Round: r, LatencyUS: float64(last-t0) / 1e3, SkewUS: float64(last-first) / 1e3, WakeUS: wakeUS}
		rec.Records = append(rec.Records, rr)
		lat, skew = append(lat, rr.LatencyUS), append(skew, rr.SkewUS)
	}
	rec.LatencyUS, rec.SkewUS = quantiles(lat), quantiles(skew)
	return rec, nil
}

// quantiles returns the median and 99th percentile, nearest rank, as the
// anchors' barrier_bench.py computes them.
func quantiles(xs []float64) report.Quantiles {
	if len(xs) == 0 {
		return report.Quantiles{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	at := func(p float64) float64 {
		k := int(p/100*float64(len(s)-1) + 0.5)
		return s[min(max(k, 0), len(s)-1)]
	}
	return report.Quantiles{Median: at(50), P99: at(99)}
}

// barrierReport wraps the release records in a run report. A barrier run
// has no tasks of its own to grade: its results are the round records.
func barrierReport(rec *report.Barrier, mode string, n int, wall time.Duration, ws []pool.WorkerInfo) *report.Report {
	rep := newReport("demo.barrier", 0, 0, 0, n)
	rep.Results = []report.Result{}
	rep.Digest, _ = report.Digest(rep.Results)
	run := report.Run{Mode: mode, WorkerCount: n, WallSeconds: wall.Seconds(), Digest: rep.Digest}
	for _, w := range ws {
		run.Workers = append(run.Workers, report.Worker{ID: w.ID, PID: w.PID, Tasks: w.Tasks})
	}
	rep.Runs = []report.Run{run}
	rep.Barrier = rec
	return rep
}
