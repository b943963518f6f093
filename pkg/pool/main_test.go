package pool_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	_ "github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/worker"
)

// TestMain makes the test binary its own worker: the pool re-executes it
// with worker.EnvMarker set (go-plugin's helper-process pattern).
func TestMain(m *testing.M) {
	if worker.IsWorker() {
		os.Exit(worker.Main())
	}
	goleak.VerifyTestMain(m)
}
