package worker_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
	"github.com/brinehq/brine/pkg/worker"
)

// release lets blocker's running call return; each test run makes its own.
var release chan struct{}

// blocker returns once the test closes release.
var blocker = task.Register("worker_test.block", func(ctx context.Context, _ int) (int, error) {
	select {
	case <-release:
		return 1, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
})

// The result of a short task goes out while a long task queued behind it in
// the same frame still runs: the coordinator times tasks out by when their
// predecessors' results arrive (docs/PROTOCOL.md).
func TestResultNotHeldBehindLongTask(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang guard only
	defer cancel()
	release = make(chan struct{}) // before Serve's goroutine starts
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	served := make(chan error, 1)
	go func() {
		served <- worker.Serve(ctx, inR, outW, task.Default, zerolog.Nop())
		outW.Close()
	}()
	results := wire.NewReader(outR, 0, 0)
	if _, err := results.Next(); err != nil { // the Hello
		t.Fatal(err)
	}
	echo, block := jobs.Echo.Call([]byte("hi")), blocker.Call(0)
	echoArgs, _ := echo.AppendArgs(nil)
	blockArgs, _ := block.AppendArgs(nil)
	welcome, _ := wire.AppendWelcome(nil, wire.Welcome{Version: wire.Version})
	frame, err := wire.AppendTasks(welcome, []wire.Task{
		{ID: 1, Func: echo.Func(), Args: echoArgs},
		{ID: 2, Func: block.Func(), Args: blockArgs},
	})
	if err != nil {
		t.Fatal(err)
	}
	go inW.Write(frame)

	body, err := results.Next() // only returns if task 1's result was written while task 2 blocks
	if err != nil {
		t.Fatal(err)
	}
	rs, err := wire.DecodeResults(body, nil)
	if err != nil || len(rs) != 1 || rs[0].ID != 1 || rs[0].Err != nil {
		t.Fatalf("first results %+v, %v: want task 1's alone", rs, err)
	}
	close(release)
	if body, err = results.Next(); err != nil {
		t.Fatal(err)
	}
	if rs, err = wire.DecodeResults(body, nil); err != nil || len(rs) != 1 || rs[0].ID != 2 || rs[0].Err != nil {
		t.Fatalf("second results %+v, %v: want task 2's", rs, err)
	}
	inW.Close()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := results.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last result: %v, want the end of the output", err)
	}
}
