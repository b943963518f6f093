// Command worker serves brine's built-in functions to a coordinator over
// pipes. It is started by the coordinator, never by hand: see
// docs/PROTOCOL.md. Built with -tags plugin (bin/worker-plugin), it also
// serves through go-plugin when the plugin transport starts it; without,
// it links none of go-plugin's packages (gRPC, protobuf, net/rpc), which
// would quadruple its size and its start-up.
package main

import (
	"os"

	_ "github.com/brinehq/brine/pkg/jobs" // registers the built-in functions
	"github.com/brinehq/brine/pkg/worker"
)

func main() { os.Exit(worker.Main()) }
