package coordinator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

func init() { demos["shared"] = demoShared }

const sharedSynopsis = "coordinator demo shared [-workers N] [-adds K] [-worker PATH]"

// demoShared shows that goroutines share memory and processes do not: the
// same function (jobs.DemoAdd) adds to one package counter, which N
// goroutines drive to N·K while N worker processes leave the coordinator's
// copy at 0. It then adds up the results the processes returned, which is
// how work done in other processes comes back.
func demoShared(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("coordinator demo shared", sharedSynopsis, stderr)
	n := fs.Int("workers", 4, "number of goroutines, then of worker processes")
	k := fs.Int64("adds", 1000, "how many times each adds 1 to the counter")
	c := &config{}
	fs.StringVar(&c.workerPath, "worker", "", "worker binary (default: worker-pipe beside the coordinator, else worker)")
	if err := parse(fs, args, false); err != nil {
		return err
	}
	if *n < 1 || *k < 0 {
		return usagef("-workers must be at least 1 and -adds not negative")
	}
	if err := limitWorkers(true).check("-workers", *n); err != nil {
		return err
	}

	jobs.ResetSharedCounter()
	fmt.Fprintf(stdout, "goroutines: %d goroutines each add 1 to one counter %d times\n", *n, *k)
	var wg sync.WaitGroup
	for range *n {
		wg.Go(func() { jobs.DemoAdd.Call(*k).Run(ctx) })
	}
	wg.Wait()
	fmt.Fprintf(stdout, "  counter = %d (%d × %d): the goroutines share this process's memory\n\n",
		jobs.SharedCounter(), *n, *k)

	jobs.ResetSharedCounter()
	fmt.Fprintf(stdout, "processes: %d worker processes each add 1 to \"the same\" counter %d times\n", *n, *k)
	got, err := addInWorkers(ctx, c, *n, *k)
	if err != nil {
		return err
	}
	var sum int64
	for i, a := range got {
		fmt.Fprintf(stdout, "  worker %d (pid %d): its counter = %d\n", i, a.PID, a.Counter)
		sum += a.Added
	}
	fmt.Fprintf(stdout, "  the coordinator's counter = %d: each process has its own memory, and what a\n"+
		"  worker changes there never comes back; only its serialized result does\n\n", jobs.SharedCounter())

	fmt.Fprintf(stdout, "the right way: each task returns what it added, and the coordinator adds up the results\n")
	fmt.Fprintf(stdout, "  sum of the %d results = %d (%d × %d)\n", len(got), sum, *n, *k)
	return nil
}

// addInWorkers runs DemoAdd(k) once in each of n worker processes, each
// in a pool of its own so that no process runs two of them, and returns
// their results.
func addInWorkers(ctx context.Context, c *config, n int, k int64) ([]jobs.Added, error) {
	path, err := c.workerCommand()
	if err != nil {
		return nil, err
	}
	got := make([]jobs.Added, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errs[i] = addInWorker(ctx, path, k) })
	}
	wg.Wait()
	return got, errors.Join(errs...)
}

func addInWorker(ctx context.Context, path string, k int64) (jobs.Added, error) {
	p, err := pool.New(ctx, pool.WithWorkers(1), pool.WithCommand(path))
	if err != nil {
		return jobs.Added{}, err
	}
	defer p.Close()
	var r pool.Result
	if err := p.Run(ctx, 1, func(int) task.Call { return jobs.DemoAdd.Call(k) }, func(res pool.Result) { r = res }); err != nil {
		return jobs.Added{}, err
	}
	if r.Err != nil {
		return jobs.Added{}, r.Err
	}
	return jobs.DemoAdd.Decode(r.Raw)
}
