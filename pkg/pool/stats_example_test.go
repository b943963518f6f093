package pool_test

import (
	"context"
	"fmt"
	"log"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

// With Wire, a thread pool serializes every task and result as a process
// pool would, and Stats counts the bytes; without it, nothing is encoded.
func ExamplePool_Stats() {
	for _, wire := range []bool{false, true} {
		ctx := context.Background()
		p, err := pool.New(ctx, pool.WithMode(pool.Thread), pool.WithWorkers(2), pool.WithWire(wire))
		if err != nil {
			log.Fatal(err)
		}
		err = p.Run(ctx, 10, func(i int) task.Call { return double.Call(i) }, func(pool.Result) {})
		p.Close()
		if err != nil {
			log.Fatal(err)
		}
		s := p.Stats()
		// Result frames carry each task's duration, so their size varies.
		fmt.Printf("wire %v: %d task bytes, results serialized: %v, encoding took time: %v\n",
			wire, s.TaskBytes, s.ResultBytes > 0, s.Encode > 0)
	}
	// Output:
	// wire false: 0 task bytes, results serialized: false, encoding took time: false
	// wire true: 310 task bytes, results serialized: true, encoding took time: true
}
