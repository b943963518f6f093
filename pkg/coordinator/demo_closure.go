package coordinator

import (
	"context"
	"fmt"
	"io"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

func init() {
	demos["closure"] = demoClosure
}

// demoClosure shows why functions travel as descriptors: msgpack refuses a
// Go closure, while the registered name plus bound arguments crosses to a
// worker process and runs there.
func demoClosure(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("coordinator demo closure", "coordinator demo closure [-factor F] [-x X] [-worker PATH]", stderr)
	factor := fs.Int64("factor", 3, "the factor the closure captures")
	x := fs.Int64("x", 14, "the argument")
	workerPath := fs.String("worker", "", "worker binary (default: worker-pipe beside the coordinator, else worker)")
	if err := parse(fs, args, false); err != nil {
		return err
	}
	f := *factor
	scale := func(x int64) int64 { return f * x }
	fmt.Fprintf(stdout, "A closure that captures factor=%d: scale(%d) = %d in this process.\n", f, *x, scale(*x))
	_, err := msgpack.Marshal(scale)
	fmt.Fprintf(stdout, "msgpack.Marshal(scale): %v\n\n", err)

	bound := task.Bind(jobs.Scale, f)
	call := bound.Call(*x)
	argBytes, err := call.AppendArgs(nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "The same computation as a descriptor: function %q, bound arguments %s, arguments %s\n",
		call.Func(), spaced(bound.Bound()), spaced(argBytes))

	path, err := findPipeWorker(*workerPath)
	if err != nil {
		return err
	}
	p, err := pool.New(ctx, pool.WithWorkers(1), pool.WithCommand(path))
	if err != nil {
		return err
	}
	defer p.Close()
	var res pool.Result
	if err := p.Run(ctx, 1, func(int) task.Call { return call }, func(r pool.Result) { res = r }); err != nil {
		return err
	}
	if res.Err != nil {
		return res.Err
	}
	out, err := bound.Decode(res.Raw)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Worker process %d ran %s(%d, %d) = %d (result bytes %s).\n",
		out.PID, call.Func(), f, *x, out.Value, spaced(res.Raw))
	return nil
}
