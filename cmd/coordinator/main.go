// Command coordinator runs brine jobs on worker processes or goroutines.
// Run it with -help for its flags; the README shows typical sessions.
//
// The first SIGINT, SIGTERM or SIGHUP stops the run: running tasks see
// their context cancelled and may finish within -grace, the report is written with the rest marked
// cancelled, and the exit status is 128 plus the signal's number (130,
// 143, 129). A second one kills the workers at once; a third ends the
// coordinator on the spot.
package main

import (
	"context"
	"os"

	"github.com/brinehq/brine/pkg/coordinator"
	_ "github.com/brinehq/brine/pkg/jobs" // the built-in jobs, for thread mode
)

func main() {
	ctx, signals := coordinator.NotifyContext(context.Background(), os.Stderr)
	code := coordinator.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	signals.Stop()
	os.Exit(signals.ExitCode(code))
}
