// Command worker serves brine's built-in functions to a coordinator. It is
// started by the coordinator, never by hand: see docs/PROTOCOL.md.
package main

import (
	"os"

	_ "github.com/brinehq/brine/pkg/jobs" // registers the built-in functions
	"github.com/brinehq/brine/pkg/worker"
)

func main() { os.Exit(worker.Main()) }
