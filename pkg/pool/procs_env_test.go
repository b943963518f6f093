package pool_test

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
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
