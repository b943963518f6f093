package pool_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	_ "github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/worker"
)

// TestMain makes the test binary its own worker: the pool re-executes it
// with wire.EnvMarker set (go-plugin's helper-process pattern). With
// envMisbehave also set, the worker misbehaves as it says (see misbehave);
// with envRole=coordinator, the binary is the coordinator command. With
// envCareless set, it is a program that forgot the guard below (see
// TestForgottenGuard).
func TestMain(m *testing.M) {
	if os.Getenv(envCareless) != "" {
		os.Exit(carelessMain())
	}
	if mode := os.Getenv(envMisbehave); mode != "" && worker.IsWorker() {
		os.Exit(misbehave(mode))
	}
	if worker.IsWorker() {
		os.Exit(worker.Main())
	}
	goleak.VerifyTestMain(m)
}
