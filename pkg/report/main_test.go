package report_test

import (
	"os"
	"strings"
	"testing"

	_ "github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/worker"
)

// TestMain makes the test binary its own worker, so that the reports of
// process-mode runs come from real worker processes (go-plugin's
// helper-process pattern): the pool re-executes it with wire.EnvMarker set.
func TestMain(m *testing.M) {
	if worker.IsWorker() {
		os.Exit(worker.Main())
	}
	// Under -race every worker process would sleep a second at exit, in
	// case other goroutines have races to report.
	os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	os.Exit(m.Run())
}
