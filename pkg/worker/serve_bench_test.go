package worker_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
	"github.com/brinehq/brine/pkg/worker"
)

// BenchmarkServe measures the worker's side of a trivial task: decoding it
// from a batch frame (Tasks, or Calls: a chunk), calling the function,
// encoding its result. ns/op is per task; no pipe, no other process.
func BenchmarkServe(b *testing.B) {
	for _, bc := range []struct {
		batch int
		calls bool
	}{{1, false}, {100, false}, {64, true}} {
		batch, calls := bc.batch, bc.calls
		name := fmt.Sprintf("echo/batch=%d", batch)
		if calls {
			name = fmt.Sprintf("echo/calls=%d", batch)
		}
		b.Run(name, func(b *testing.B) {
			var in bytes.Buffer
			welcome, _ := wire.AppendWelcome(nil, wire.Welcome{Version: wire.Version})
			in.Write(welcome)
			call := jobs.Echo.Call([]byte{})
			args, _ := call.AppendArgs(nil)
			ts := make([]wire.Task, batch)
			for i := range ts {
				ts[i] = wire.Task{ID: uint64(i), Func: call.Func(), Args: args}
			}
			frame, _ := wire.AppendTasks(nil, ts)
			if calls {
				c := wire.Calls{Func: call.Func(), Args: make([][]byte, batch)}
				for i := range c.Args {
					c.Args[i] = args
				}
				frame, _ = wire.AppendCalls(nil, &c)
			}
			for i := 0; i < b.N; i += batch {
				in.Write(frame)
			}
			b.ReportAllocs()
			b.ResetTimer()
			err := worker.Serve(context.Background(), &in, io.Discard, task.Default, zerolog.Nop())
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}
