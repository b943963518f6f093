package worker_test

import (
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
	"github.com/brinehq/brine/pkg/worker"
)

// A Cancel that arrives while a frame's first task runs stops that task,
// which heeds its context, and has the tasks queued behind it answered as
// cancelled without running; a task it does not name runs. Over a pipe,
// which the watcher polls, and over a stream with no descriptor, where a
// Cancel read with its frame is found in the reader's buffer.
func TestCancelStopsRunningAndQueued(t *testing.T) {
	for _, name := range []string{"pipe", "stream"} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang guard only
			defer cancel()
			var inR io.Reader
			var inW io.WriteCloser
			if name == "pipe" {
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				inR, inW = r, w
			} else {
				inR, inW = io.Pipe()
			}
			outR, outW := io.Pipe()
			served := make(chan error, 1)
			go func() {
				served <- worker.Serve(ctx, inR, outW, task.Default, zerolog.Nop())
				outW.Close()
			}()
			results := wire.NewReader(outR, 0, 0)
			body, err := results.Next()
			if err != nil {
				t.Fatal(err)
			}
			if hello, err := wire.DecodeHello(body); err != nil || !hello.Has(wire.FeatureCancel) {
				t.Fatalf("hello %+v, %v: want the cancel feature", hello, err)
			}
			long, echo := task.Bind(jobs.Sleep, 60_000).Call(0), jobs.Echo.Call([]byte("x"))
			longArgs, _ := long.AppendArgs(nil)
			echoArgs, _ := echo.AppendArgs(nil)
			frames, _ := wire.AppendWelcome(nil, wire.Welcome{Version: wire.Version})
			frames, _ = wire.AppendTasks(frames, []wire.Task{
				{ID: 10, Func: long.Func(), Bound: long.Bound(), Args: longArgs},
				{ID: 11, Func: echo.Func(), Args: echoArgs},
				{ID: 12, Func: echo.Func(), Args: echoArgs},
				{ID: 20, Func: echo.Func(), Args: echoArgs},
			})
			if name == "pipe" { // the Cancel comes while task 10 runs
				if _, err := inW.Write(frames); err != nil {
					t.Fatal(err)
				}
				frames = frames[:0]
				time.Sleep(20 * time.Millisecond)
			}
			frames, _ = wire.AppendCancel(frames, []wire.Span{{First: 10, Last: 12}})
			go inW.Write(frames)
			want := map[uint64]string{10: wire.KindCancelled, 11: wire.KindCancelled, 12: wire.KindCancelled, 20: ""}
			for len(want) > 0 {
				body, err := results.Next()
				if err != nil {
					t.Fatalf("results %v still to come: %v", want, err)
				}
				rs, err := wire.DecodeResults(body, nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rs {
					kind := ""
					if r.Err != nil {
						kind = r.Err.Kind
					}
					if w, ok := want[r.ID]; !ok || kind != w {
						t.Fatalf("task %d: kind %q, want %q", r.ID, kind, w)
					}
					delete(want, r.ID)
				}
			}
			inW.Close()
			if err := <-served; err != nil {
				t.Fatalf("Serve: %v", err)
			}
		})
	}
}
