// Command worker serves brine's built-in functions to a coordinator over
// pipes. Without arguments it is started by the coordinator, never by
// hand: see docs/PROTOCOL.md. Given -nats URL, it joins a coordinator's run through
// NATS from any machine (pkg/transport/nats), and it serves the workers
// that transport starts; it links NATS's client only, never its server.
// Built with -tags plugin (bin/worker-plugin), it also serves through
// go-plugin when the plugin transport starts it; without, it links none
// of go-plugin's packages (gRPC, protobuf, net/rpc), which would
// quadruple its size and its start-up.
package main

import (
	"os"

	_ "github.com/brinehq/brine/pkg/jobs" // registers the built-in functions
	natst "github.com/brinehq/brine/pkg/transport/nats"
	"github.com/brinehq/brine/pkg/worker"
)

func main() {
	if len(os.Args) > 1 {
		os.Exit(natst.JoinCommand(os.Args[1:], os.Stderr))
	}
	os.Exit(worker.Main())
}
