// Command worker serves brine's built-in functions to a coordinator. Without
// arguments it is started by the coordinator, never by hand: see
// docs/PROTOCOL.md. Given -nats URL, it joins a coordinator's run through
// NATS from any machine (pkg/transport/nats), and it serves the workers
// that transport starts; it links NATS's client only, never its server.
//
// make build builds it three times. bin/worker serves pipes and NATS.
// bin/worker-pipe, built with -tags nonats, serves pipes only: without
// NATS's client it is less than half the size and starts sooner, and the
// coordinator starts it for -transport pipe, its default. bin/worker-plugin,
// built with -tags "plugin nonats", also serves through go-plugin when the
// plugin transport starts it; the others link none of go-plugin's packages
// (gRPC, protobuf, net/rpc), which would quadruple their size and their
// start-up.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	_ "github.com/brinehq/brine/pkg/jobs" // registers the built-in functions
	"github.com/brinehq/brine/pkg/wire"
	"github.com/brinehq/brine/pkg/worker"
)

// join is the command line's main when it has arguments: NATS's, unless the
// worker was built without it.
var join = func(args []string, stderr io.Writer) int {
	fmt.Fprintf(stderr, "worker: this build takes no arguments (got %s): it serves a coordinator that started it over pipes;\n"+
		"to join a run through NATS (-nats URL), run bin/worker, which make build builds beside it\n", strings.Join(args, " "))
	return wire.ExitUsage
}

func main() {
	if len(os.Args) > 1 {
		os.Exit(join(os.Args[1:], os.Stderr))
	}
	os.Exit(worker.Main())
}
