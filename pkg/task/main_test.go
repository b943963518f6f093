package task_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/brinehq/brine/pkg/worker"
)

// TestMain makes the test binary its own worker, so that the examples can
// run their functions in worker processes, as a self-exec program does.
func TestMain(m *testing.M) {
	if worker.IsWorker() {
		os.Exit(worker.Main())
	}
	goleak.VerifyTestMain(m)
}
