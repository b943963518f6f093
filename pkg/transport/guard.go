package transport

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/brinehq/brine/pkg/wire"
)

// ErrInWorker is wrapped by the error of whatever would start workers from
// inside a worker process: a program whose main does not hand over to
// worker.Main first would otherwise start workers that start workers,
// without end.
var ErrInWorker = errors.New("refusing to start workers from inside a worker process")

// NotInWorker returns nil, unless this process is a worker (wire.EnvMarker
// is set): then it returns an error wrapping ErrInWorker that shows the
// guard to add: in main, or in TestMain when this is a test binary.
func NotInWorker() error {
	if os.Getenv(wire.EnvMarker) == "" {
		return nil
	}
	where := "main"
	if testing.Testing() {
		where = "TestMain, before m.Run()"
	}
	return fmt.Errorf("%w: this program was started as a brine worker (%s is set) and must serve tasks before anything else: "+
		"add `if worker.IsWorker() { os.Exit(worker.Main()) }` as the first statement of %s", ErrInWorker, wire.EnvMarker, where)
}
