package coordinator

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/brinehq/brine/pkg/cond"
	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

func init() {
	demos["condition"] = demoCondition
}

// demoCondition reproduces the lesson's Condition example with processes:
// consumers start one after another and wait; a producer notifies; the
// consumers consume. Each process timestamps its lines on CLOCK_MONOTONIC,
// so the merged log shows the order in which things really happened.
func demoCondition(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("coordinator demo condition",
		"coordinator demo condition [-consumers N] [-notify N] [-pause D] [-mode process|thread] [-worker PATH]", stderr)
	consumers := fs.Int("consumers", 2, "number of consumers")
	notify := fs.Int("notify", 0, "consumers woken per notify; 0 notifies all")
	pause := fs.Duration("pause", 200*time.Millisecond, "pause between starting the consumers and the producer (the lesson's sleep)")
	mode := fs.String("mode", "process", "process or thread")
	workerPath := fs.String("worker", "", "worker binary (default: worker-pipe beside the coordinator, else worker)")
	if err := parse(fs, args, false); err != nil {
		return err
	}
	if *consumers < 1 || *notify < 0 || *pause <= 0 {
		return usagef("-consumers must be at least 1, -notify not negative, -pause positive")
	}
	if *consumers > cond.MaxWaiters {
		return usagef("-consumers %d: at most %d (the waiters one condition holds)", *consumers, cond.MaxWaiters)
	}
	p, err := demoPool(ctx, *mode, *workerPath, *consumers+1)
	if err != nil {
		return err
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second+time.Duration(*consumers)*(*pause)*2)
	defer cancel()

	spec := jobs.LessonSpec{Cond: "lesson", Notify: *notify, Rounds: 1, Pause: *pause}
	if *notify > 0 {
		spec.Rounds = (*consumers + *notify - 1) / *notify
	}
	names := make([]string, 0, *consumers+1)
	for i := range *consumers {
		names = append(names, fmt.Sprintf("consumer%d", i+1))
	}
	names = append(names, "producer")
	lines, pids, err := runLesson(ctx, p, spec, names, *pause)
	printParties(stdout, *mode, names, pids)
	for _, l := range lines {
		fmt.Fprintf(stdout, "(%-9s) %s\n", l.Who, l.Text)
	}
	return err
}

// printParties says which process each party ran in: with worker
// processes, each its own, none of them the coordinator's, so that the
// lines that follow are seen to come from separate processes.
func printParties(w io.Writer, mode string, names []string, pids map[string]int) {
	what := "a worker process"
	if mode == "thread" {
		what = "a goroutine in the coordinator"
	}
	for _, n := range names {
		if pid, ok := pids[n]; ok {
			fmt.Fprintf(w, "%-9s  %s, pid %d\n", n, what, pid)
		}
	}
	if mode == "thread" {
		fmt.Fprintf(w, "(the coordinator is pid %d: one process, whose goroutines share its memory and the condition)\n\n", os.Getpid())
		return
	}
	fmt.Fprintf(w, "(the coordinator is pid %d; the condition lives in shared memory that every process maps)\n\n", os.Getpid())
}

// runLesson starts each party's task a pause after the previous one, the
// producer last, and returns their lines merged by time and the pid each
// party's task ran in.
func runLesson(ctx context.Context, p *pool.Pool, spec jobs.LessonSpec, names []string, pause time.Duration) ([]jobs.Line, map[string]int, error) {
	consumer, producer := task.Bind(jobs.Consumer, spec), task.Bind(jobs.Producer, spec)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		lines []jobs.Line
		errs  []error
		pids  = map[string]int{}
	)
	for i, name := range names {
		if i > 0 {
			time.Sleep(pause)
		}
		call := consumer.Call(name)
		if i == len(names)-1 {
			call = producer.Call(name)
		}
		wg.Go(func() {
			err := p.Run(ctx, 1, func(int) task.Call { return call }, func(r pool.Result) {
				got, err := decodeLines(r)
				mu.Lock()
				defer mu.Unlock()
				lines = append(lines, got...)
				pids[name] = r.PID
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", name, err))
				}
			})
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.SortStableFunc(lines, func(a, b jobs.Line) int { return cmp.Compare(a.T, b.T) })
	if len(errs) > 0 {
		return lines, pids, errs[0]
	}
	return lines, pids, nil
}

func decodeLines(r pool.Result) ([]jobs.Line, error) {
	if r.Err != nil {
		return nil, r.Err
	}
	if r.Raw == nil {
		lines, _ := r.Value.([]jobs.Line)
		return lines, nil
	}
	var lines []jobs.Line
	err := task.Unmarshal(r.Raw, &lines)
	return lines, err
}

// demoPool starts the pool a demonstration runs on. Retries are off: a
// demonstration shows what happens, it does not paper over it.
func demoPool(ctx context.Context, mode, workerPath string, workers int) (*pool.Pool, error) {
	// Prefetch 1: each task blocks until another runs, so each needs a
	// worker of its own. Its workers do little but wait on a shared cond
	// or barrier: each keeps every processor, so that a wait's end finds
	// its runtime's processor still there rather than handed to another
	// thread (see pool.Options.WorkerProcs).
	opts := pool.Options{Workers: workers, Mode: pool.Thread, Prefetch: 1, WorkerProcs: runtime.GOMAXPROCS(0),
		HandshakeTimeout: handshakeFor(workers)}
	switch mode {
	case "thread":
	case "process":
		path, err := findPipeWorker(workerPath)
		if err != nil {
			return nil, err
		}
		opts.Mode, opts.Command = pool.Process, []string{path}
	default:
		return nil, usagef("unknown -mode %q: want process or thread", mode)
	}
	return pool.New(ctx, pool.WithOptions(opts))
}
