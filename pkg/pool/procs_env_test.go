package pool_test

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"golang.org/x/sys/unix"
)

// workerProcs reports the GOMAXPROCS of the process it runs in.
var workerProcs = task.Register("pool_test.gomaxprocs", func(context.Context, int) (int, error) {
	return runtime.GOMAXPROCS(0), nil
})

// A worker's GOMAXPROCS is its share of the coordinator's processors by
// default (at least two with a task timeout), Options.WorkerProcs when
// set, and Env's GOMAXPROCS above both.
func TestWorkerGOMAXPROCS(t *testing.T) {
	share := max(1, runtime.GOMAXPROCS(0)/2)
	timed := max(share, 2)
	if os.Getenv("GOMAXPROCS") != "" {
		share, timed = runtime.GOMAXPROCS(0), runtime.GOMAXPROCS(0) // inherited as it is
	}
	for _, c := range []struct {
		name string
		opts []pool.Option
		want int
	}{
		{"share", nil, share},
		{"two with a task timeout", []pool.Option{pool.WithTaskTimeout(time.Minute)}, timed},
		{"WorkerProcs", []pool.Option{pool.WithWorkerProcs(3)}, 3},
		{"Env wins", []pool.Option{pool.WithWorkerProcs(3), pool.WithEnv("GOMAXPROCS=5")}, 5},
	} {
		p := startPool(t, append([]pool.Option{pool.WithWorkers(2)}, c.opts...)...)
		got, err := pool.Map(bounded(t), p, workerProcs, []int{0, 1, 2, 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range got {
			if n != c.want {
				t.Errorf("%s: a worker's GOMAXPROCS is %d, want %d", c.name, n, c.want)
			}
		}
		p.Close()
	}
}

// inherited reports which of the descriptors a worker was given (3 to 6)
// a program started by its task would inherit.
var inherited = task.Register("pool_test.inherited", func(context.Context, int) ([]int, error) {
	var open []int
	for fd := 3; fd <= 6; fd++ {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err == nil && flags&unix.FD_CLOEXEC == 0 {
			open = append(open, fd)
		}
	}
	return open, nil
})

// A worker's protocol pipes, shared objects and lanes are closed on exec:
// a program one of its tasks starts must not hold them.
func TestWorkerDescriptorsCloseOnExec(t *testing.T) {
	p := startPool(t, pool.WithWorkers(1))
	got, err := pool.Map(bounded(t), p, inherited, []int{0})
	if err != nil {
		t.Fatal(err)
	}
	if len(got[0]) > 0 {
		t.Errorf("descriptors %v of the worker would pass to the programs its tasks start", got[0])
	}
}
