package pipe

import (
	"io"

	"github.com/brinehq/brine/pkg/transport/internal/output"
)

// relay copies a worker's stdout or stderr into the pool's log (see
// package output). It reads to the end of the stream, so the worker never
// blocks writing.
func (w *worker) relay(r io.Reader, stream string) {
	defer w.relays.Done()
	defer func() {
		if w.relaysLeft.Add(-1) == 0 {
			close(w.relaysDone)
		}
	}()
	output.Lines(r, func(line []byte) {
		if stream == "stderr" {
			w.tail.Add(string(line))
		}
		output.Log(w.log, w.id, w.PID(), line, stream)
	})
}
