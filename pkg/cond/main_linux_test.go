package cond_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// helperEnv names the child role when the test binary re-runs itself as a
// worker process (go-plugin's helper-process pattern).
const helperEnv = "BRINE_COND_HELPER"

func TestMain(m *testing.M) {
	if role := os.Getenv(helperEnv); role != "" {
		os.Exit(runHelper(role))
	}
	goleak.VerifyTestMain(m)
}
