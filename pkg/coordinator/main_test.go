package coordinator_test

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/brinehq/brine/pkg/coordinator"
	_ "github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/worker"
)

// TestMain makes the test binary serve as both commands of the scripts
// under testdata/script: "coordinator", and "worker", which the coordinator
// finds beside itself on PATH. Tests in this package that need a worker
// process run the coordinator through a script, or exec "worker" the same way.
func TestMain(m *testing.M) {
	os.Exit(testscript.RunMain(m, map[string]func() int{
		"coordinator": func() int {
			ctx, signals := coordinator.NotifyContext(context.Background(), os.Stderr)
			code := coordinator.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
			signals.Stop()
			return signals.ExitCode(code)
		},
		"worker": func() int { return worker.Main() },
		// This binary links the plugin transport's server, as bin/worker-plugin does.
		"worker-plugin": func() int { return worker.Main() },
	}))
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Cmds:                scriptCmds,
		Setup: func(env *testscript.Env) error {
			env.Setenv("BRINE_SHARED", os.Getenv("BRINE_SHARED"))
			return nil
		},
	})
}
