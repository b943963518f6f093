package jobs

import (
	"context"
	"os"

	"github.com/brinehq/brine/pkg/task"
)

// Scale multiplies x by factor (bound) and reports the process that did
// it: the function `coordinator demo closure` ships by name instead of as a
// closure.
var Scale = task.Register2("demo.scale", func(_ context.Context, factor, x int64) (Scaled, error) {
	return Scaled{Value: factor * x, PID: os.Getpid()}, nil
})

// Scaled is the result of Scale.
type Scaled struct {
	Value int64 `msgpack:"value"`
	PID   int   `msgpack:"pid"`
}
