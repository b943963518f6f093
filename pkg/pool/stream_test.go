package pool_test

import (
	"context"
	"errors"
	"iter"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/pool"
)

// naturals yields 0, 1, 2... until the loop stops, counting what it yields.
func naturals(pulled *atomic.Int64) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; ; i++ {
			pulled.Add(1)
			if !yield(i) {
				return
			}
		}
	}
}

func TestStreamYieldsEachResultOnce(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		seen := make([]bool, 2000)
		for r, err := range pool.Stream(context.Background(), p, square, slices.Values(indices(len(seen)))) {
			if err != nil {
				t.Fatal(err)
			}
			if seen[r.Index] || r.Value != r.Index*r.Index {
				t.Fatalf("index %d: value %d, seen before: %v", r.Index, r.Value, seen[r.Index])
			}
			seen[r.Index] = true
		}
		if i := slices.Index(seen, false); i >= 0 {
			t.Errorf("no result for index %d", i)
		}
	})
}

// A slow loop holds back the reading of args: at most the stream's window
// (256 tasks per worker) runs ahead of it.
func TestStreamBackpressure(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		const window = 256 * 2
		var pulled atomic.Int64
		consumed := int64(0)
		for _, err := range pool.Stream(context.Background(), p, square, naturals(&pulled)) {
			if err != nil {
				t.Fatal(err)
			}
			consumed++
			if ahead := pulled.Load() - consumed; ahead > window+1 {
				t.Fatalf("args read %d ahead of the loop", ahead)
			}
			if consumed%500 == 0 {
				time.Sleep(5 * time.Millisecond) // let the workers run ahead if they could
			}
			if consumed == 3000 {
				break
			}
		}
	})
}

// Breaking out of the loop stops the stream: nothing of it runs afterwards.
func TestStreamBreakStops(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		var pulled atomic.Int64
		n := 0
		for _, err := range pool.Stream(context.Background(), p, napOrFail, naturals(&pulled)) {
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

func TestStreamGoesOnAfterFailures(t *testing.T) {
	p := typedPool(t)
	args := []any{1, "two", make(chan int), 4.5}
	errs := map[int]string{}
	vals := map[int]string{}
	for r, err := range pool.Stream(context.Background(), p, typeOf, slices.Values(args)) {
		if err != nil {
			errs[r.Index] = err.Error()
		} else {
			vals[r.Index] = r.Value
		}
	}
	if len(errs) != 1 || !strings.Contains(errs[2], "args[2]") || !strings.Contains(errs[2], "chan int") {
		t.Errorf("errors: %v; want one for the channel, index 2", errs)
	}
	if len(vals) != 3 || vals[1] != "string" {
		t.Errorf("values: %v", vals)
	}

	var te *pool.TaskError
	failed := -1
	for r, err := range pool.Stream(context.Background(), p, napOrFail, slices.Values([]int{0, -5, 0})) {
		if errors.As(err, &te) {
			failed = r.Index
		}
	}
	if failed != 1 || te.Message != "negative: -5" {
		t.Errorf("failure at index %d: %v", failed, te)
	}
}

// Errors about the stream as a whole come last, with index -1.
func TestStreamStops(t *testing.T) {
	p := typedPool(t)
	last := func(seq iter.Seq2[pool.Indexed[int], error]) (pool.Indexed[int], error, int) {
		var r pool.Indexed[int]
		var err error
		n := 0
		for r, err = range seq {
			n++
		}
		return r, err, n
	}

	r, err, n := last(pool.Stream(context.Background(), p, lateFunc(), slices.Values([]int{1})))
	if n != 1 || r.Index != -1 || err == nil || !strings.Contains(err.Error(), "unknown function") {
		t.Errorf("unknown function: %d yields, last %v, %v", n, r, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var pulled atomic.Int64
	r, err, _ = last(pool.Stream(ctx, p, napOrFail, func(yield func(int) bool) {
		for range naturals(&pulled) {
			if !yield(10) {
				return
			}
		}
	}))
	if r.Index != -1 || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("context ended: last %v, %v", r, err)
	}

	var closer sync.WaitGroup
	closer.Go(func() { time.Sleep(30 * time.Millisecond); p.Close() })
	r, err, _ = last(pool.Stream(context.Background(), p, napOrFail, slices.Values(slices.Repeat([]int{10}, 1000))))
	closer.Wait()
	if r.Index != -1 || !errors.Is(err, pool.ErrClosed) {
		t.Errorf("pool closed: last %v, %v", r, err)
	}
}
