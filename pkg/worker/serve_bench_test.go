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
// from a batch frame, calling the function, encoding its result. ns/op is
// per task; no pipe, no other process.
func BenchmarkServe(b *testing.B) {
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("echo/batch=%d", batch), func(b *testing.B) {
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
