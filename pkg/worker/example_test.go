package worker_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/worker"
)

// getpid reports the process it runs in.
var getpid = task.Register("example.getpid", func(context.Context, int) (int, error) {
	return os.Getpid(), nil
})

// TestMain does what the main of a self-exec program does before anything
// else, so that this test binary can be its own worker.
func TestMain(m *testing.M) {
	if worker.IsWorker() {
		os.Exit(worker.Main())
	}
	goleak.VerifyTestMain(m)
}

// A program that is its own worker calls Main under IsWorker first thing in
// main (here TestMain does):
//
//	func main() {
//		if worker.IsWorker() {
//			os.Exit(worker.Main())
//		}
//		...
//	}
//
// A pool started with no Command then re-runs the program's own executable
// as its workers: no second binary, and the same functions on both sides.
func Example_selfExec() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	pids, err := pool.Map(ctx, p, getpid, make([]int, 8))
	if err != nil {
		log.Fatal(err)
	}
	elsewhere := true
	for _, pid := range pids {
		elsewhere = elsewhere && pid != os.Getpid()
	}
	fmt.Println("every task ran in another process:", elsewhere)
	// Output: every task ran in another process: true
}

func ExampleIsWorker() {
	// A process that a coordinator started has wire.EnvMarker set.
	fmt.Println(worker.IsWorker())
	// Output: false
}

// A dedicated worker binary, like cmd/worker, serves the functions that the
// packages it imports register, and exits with Main's status.
func ExampleMain() {
	os.Exit(worker.Main())
}
