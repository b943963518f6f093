//go:build !nonats

package main

import (
	"io"

	natst "github.com/brinehq/brine/pkg/transport/nats"
)

// `worker -nats URL` joins a run through NATS.
func init() {
	join = func(args []string, stderr io.Writer) int { return natst.JoinCommand(args, stderr) }
}
