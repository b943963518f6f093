package jobs_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/brinehq/brine/pkg/worker"
)

// TestMain makes the test binary its own worker: a process pool re-executes
// it with wire.EnvMarker set.
func TestMain(m *testing.M) {
	if worker.IsWorker() {
		os.Exit(worker.Main())
	}
	goleak.VerifyTestMain(m)
}
