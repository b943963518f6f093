package cond_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/brinehq/brine/pkg/cond"
)

// A consumer waits until a producer has queued work.
func ExampleCond() {
	ctx := context.Background()
	c := cond.NewCond()
	var queue []string // guarded by c
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := c.Lock(ctx); err != nil {
			return
		}
		defer c.Unlock()
		if ok, _ := c.WaitFor(ctx, func() bool { return len(queue) > 0 }); ok {
			fmt.Println("consumed", queue[0])
		}
	})
	if err := c.Lock(ctx); err == nil {
		queue = append(queue, "task-1")
		c.Notify(1)
		c.Unlock()
	}
	wg.Wait()
	// Output: consumed task-1
}

// Three goroutines run two phases in lockstep; the party that arrives last
// (index Parties()-1) reports each release.
func ExampleBarrier() {
	ctx := context.Background()
	b := cond.NewBarrier(3)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for range 2 {
				idx, gen, err := b.Wait(ctx)
				if err == nil && idx == b.Parties()-1 {
					fmt.Println("generation", gen, "released")
				}
			}
		})
	}
	wg.Wait()
	// Output:
	// generation 0 released
	// generation 1 released
}

// The coordinator creates a region and passes its file to each worker; a
// worker opens it and meets the others at a named barrier. Here both sides
// are goroutines of one process; in a worker the region comes from
// cond.OpenRegion(os.NewFile(3, "brine-cond")) after the coordinator set
// cmd.ExtraFiles = []*os.File{region.File()}, and the coordinator calls
// region.ProcessDied(pid, err.Error()) when cmd.Wait reports a worker gone.
func ExampleRegion() {
	region, err := cond.NewRegion(8) // the coordinator and up to 7 workers
	if err != nil {
		fmt.Println(err)
		return
	}
	defer region.Close()
	start, err := region.Barrier("start", 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { _, _, _ = start.Wait(context.Background()) }) // a worker
	_, gen, err := start.Wait(context.Background())
	wg.Wait()
	fmt.Println("phase", gen, "started:", err)
	// Output: phase 0 started: <nil>
}
