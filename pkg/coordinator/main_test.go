package coordinator_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/brinehq/brine/internal/buildtest"
	"github.com/brinehq/brine/pkg/coordinator"
	_ "github.com/brinehq/brine/pkg/jobs"
	natst "github.com/brinehq/brine/pkg/transport/nats"
	"github.com/brinehq/brine/pkg/worker"
)

// TestMain makes the test binary serve as the commands of the scripts
// under testdata/script: "coordinator", and the workers, which the
// coordinator finds beside itself on PATH. Tests in this package that need a worker
// process run the coordinator through a script, or exec "worker" the same way.
func TestMain(m *testing.M) {
	os.Exit(testscript.RunMain(m, map[string]func() int{
		"coordinator": func() int {
			ctx, signals := coordinator.NotifyContext(context.Background(), os.Stderr)
			code := coordinator.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
			signals.Stop()
			return signals.ExitCode(code)
		},
		"worker": func() int {
			if len(os.Args) > 1 { // worker -nats URL
				return natst.JoinCommand(os.Args[1:], os.Stderr)
			}
			return worker.Main()
		},
		// The worker for pipes, which the coordinator prefers, as make
		// build makes it: serving pipes only.
		"worker-pipe": func() int { return worker.Main() },
		// This binary links the plugin transport's server, as bin/worker-plugin does.
		"worker-plugin": func() int { return worker.Main() },
	}))
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Cmds:                scriptCmds,
		Condition:           scriptCondition,
		Setup: func(env *testscript.Env) error {
			env.Setenv("BRINE_SHARED", os.Getenv("BRINE_SHARED"))
			return nil
		},
	})
}

// TestScriptsAtScale runs the scripts under testdata/scale, which start
// a thousand worker processes. Built with the race detector, each would
// take some 20 MB: there the scripts run a coordinator and workers built
// without it.
func TestScriptsAtScale(t *testing.T) {
	var bin string
	if raceEnabled && !testing.Short() {
		bin = buildtest.Commands(t, "coordinator", "worker")
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/scale",
		RequireExplicitExec: true,
		Cmds:                scriptCmds,
		Setup: func(env *testscript.Env) error {
			if bin != "" {
				env.Setenv("PATH", bin+string(filepath.ListSeparator)+env.Getenv("PATH"))
			}
			return nil
		},
	})
}
