package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/brinehq/brine/pkg/task"
)

// FaultSpec selects the misbehaviour of Fault and the tasks that show it.
type FaultSpec struct {
	_msgpack struct{} `msgpack:",as_array"`
	Mode     string   // one of FaultModes
	Every    int64    // task i misbehaves when i%Every == 0; 0 or 1: every task
}

// FaultModes are the misbehaviours Fault can show, for demonstrations and
// tests of how a pool contains them.
var FaultModes = []string{"panic", "error", "print", "exit", "hang", "crash"}

// Fault returns i, except for the tasks its spec selects, which instead:
// panic ("panic"), return an error ("error"), write lines to stdout and
// stderr and then return i ("print"), exit the worker with status 3
// ("exit"), block until cancelled ("hang"), or panic on another goroutine,
// which kills the worker process ("crash").
var Fault = task.Register2("fault", func(ctx context.Context, s FaultSpec, i int64) (int64, error) {
	if s.Every > 1 && i%s.Every != 0 {
		return i, nil
	}
	switch s.Mode {
	case "panic":
		panic(fmt.Sprintf("fault: task %d panics", i))
	case "error":
		return 0, fmt.Errorf("fault: task %d fails", i)
	case "print":
		fmt.Printf("fault: task %d writes to stdout\n", i)
		fmt.Fprintf(os.Stderr, "fault: task %d writes to stderr\n", i)
		return i, nil
	case "exit":
		os.Exit(3)
	case "hang":
		task.Blocking(ctx, func() { <-ctx.Done() })
		return 0, ctx.Err()
	case "crash":
		// A panic on another goroutine, which nothing in the task can
		// recover, ends the process. The task waits for that end and never
		// returns: had it returned, its result could reach the coordinator
		// before the crash did.
		go func() { panic(fmt.Sprintf("fault: task %d crashes its worker", i)) }()
		select {}
	}
	return 0, errors.New("fault: unknown mode " + s.Mode)
})
