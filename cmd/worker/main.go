// Command worker serves brine's built-in functions to a coordinator, over
// pipes or, when the plugin transport starts it, through go-plugin. It is
// started by the coordinator, never by hand: see docs/PROTOCOL.md.
package main

import (
	"os"

	_ "github.com/brinehq/brine/pkg/jobs"             // registers the built-in functions
	_ "github.com/brinehq/brine/pkg/transport/plugin" // serves through go-plugin when that transport starts it
	"github.com/brinehq/brine/pkg/worker"
)

func main() { os.Exit(worker.Main()) }
