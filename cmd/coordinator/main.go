// Command coordinator runs brine jobs on worker processes or goroutines.
// Run it with -help for its flags; the README shows typical sessions.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/brinehq/brine/pkg/coordinator"
	_ "github.com/brinehq/brine/pkg/jobs" // the built-in jobs, for thread mode
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(coordinator.Main(ctx, os.Args[1:], os.Stdout, os.Stderr))
}
