package pool_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

var (
	// gateOpen, made by the test that uses gated, lets gated(0) return;
	// a thread-mode pool's tasks share it with the test.
	gateOpen chan struct{}
	// gateHeld, if a test made it, is closed by gated(0) as it waits at
	// the gate: a thread worker is then held.
	gateHeld chan struct{}
	gated    = task.Register("pooltest.gated", func(ctx context.Context, x int) (int, error) {
		if x == 0 {
			if gateHeld != nil {
				close(gateHeld)
			}
			select {
			case <-gateOpen:
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
		return x, nil
	})
)

// Results come in the order of args though later tasks finish first.
func TestImapOrdered(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		const n = 200
		args := make([]time.Duration, n)
		for i := range args {
			args[i] = time.Duration((n-i)%5) * time.Millisecond
		}
		i := 0
		for v, err := range pool.Imap(bounded(t), p, stubborn, slices.Values(args)) {
			if err != nil {
				t.Fatal(err)
			}
			if v != args[i] {
				t.Fatalf("result %d is %v, want %v", i, v, args[i])
			}
			i++
		}
		if i != n {
			t.Fatalf("%d results, want %d", i, n)
		}
	})
}

// A failed task yields its error in its place, and the map goes on.
func TestImapGoesOnAfterFailures(t *testing.T) {
	p := typedPool(t)
	var got []string
	for v, err := range pool.Imap(bounded(t), p, typeOf, slices.Values([]any{1, make(chan int), "three"})) {
		if err != nil {
			got = append(got, "error: "+err.Error())
			continue
		}
		got = append(got, v)
	}
	if len(got) != 3 || got[0] != "int8" && got[0] != "int64" || !strings.Contains(got[1], "args[1]") || got[2] != "string" {
		t.Fatalf("yields %q: want a value, the error of args[1], a value", got)
	}
	var te *pool.TaskError
	var errAt []int
	i := 0
	for _, err := range pool.Imap(bounded(t), p, napOrFail, slices.Values([]int{5, -5, 0, -7})) {
		if err != nil {
			if !errors.As(err, &te) {
				t.Fatalf("yield %d: %v, want a *TaskError", i, err)
			}
			errAt = append(errAt, i)
		}
		i++
	}
	if !slices.Equal(errAt, []int{1, 3}) {
		t.Fatalf("errors at %v, want [1 3]", errAt)
	}
}

// A slow task holds back the reading of args until its result is yielded:
// what completes after it waits within the window, which an endless args
// does not overrun.
func TestImapWindowHeldBySlowTask(t *testing.T) {
	p := typedPool(t, pool.WithMode(pool.Thread))
	const window = 256 * 2
	gateOpen = make(chan struct{})
	var pulled, atGate atomic.Int64
	var opener sync.WaitGroup
	opener.Go(func() {
		// The first task waits for the gate while the others complete;
		// the feeder may read the window's elements, and one more that
		// waits for a token.
		for pulled.Load() < window+1 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond) // room to overrun, were it allowed
		atGate.Store(pulled.Load())
		close(gateOpen)
	})
	n := 0
	for v, err := range pool.Imap(bounded(t), p, gated, naturals(&pulled)) {
		if err != nil {
			t.Fatal(err)
		}
		if v != n {
			t.Fatalf("result %d is %d", n, v)
		}
		if n++; n == 3*window {
			break
		}
	}
	opener.Wait()
	if ahead := atGate.Load(); ahead > window+1 {
		t.Fatalf("args read %d ahead of a task not yet done: the window is %d", ahead, window)
	}
}

// Breaking out of the loop stops the map: nothing of it runs afterwards.
func TestImapBreakStops(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		var pulled atomic.Int64
		n := 0
		for _, err := range pool.Imap(bounded(t), p, napOrFail, naturals(&pulled)) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 5 {
				break
			}
		}
		before, ran := pulled.Load(), tasksDone(p)
		time.Sleep(30 * time.Millisecond)
		if pulled.Load() != before || tasksDone(p) != ran {
			t.Errorf("after break: args read %d→%d, tasks run %d→%d", before, pulled.Load(), ran, tasksDone(p))
		}
	})
}

// A map that cannot start yields its error alone; one whose context ends
// yields ctx.Err() last.
func TestImapStops(t *testing.T) {
	p := typedPool(t)
	var errs []error
	for _, err := range pool.Imap(bounded(t), p, lateFunc(), slices.Values([]int{1})) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || errs[0] == nil || !strings.Contains(errs[0].Error(), "unknown function") {
		t.Errorf("unknown function: yields %v", errs)
	}

	ctx, cancel := context.WithTimeout(bounded(t), 50*time.Millisecond)
	defer cancel()
	var pulled atomic.Int64
	var last error
	n := 0
	for _, err := range pool.Imap(ctx, p, napOrFail, func(yield func(int) bool) {
		for range naturals(&pulled) {
			if !yield(10) {
				return
			}
		}
	}) {
		if last != nil {
			t.Fatalf("yield after the error %v", last)
		}
		last = err
		n++
	}
	if !errors.Is(last, context.DeadlineExceeded) {
		t.Errorf("context ended: %d yields, the last %v", n, last)
	}
}
