package pool_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/wire"
)

// Every task runs whatever fails beside it, and each error stays at the
// index of its argument.
func TestMapAllRunsEveryTask(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		args := []int{-1, 5, -999, 0, -3, 1}
		vals, errs := pool.MapAll(bounded(t), p, napOrFail, args)
		if len(vals) != len(args) || len(errs) != len(args) {
			t.Fatalf("%d values and %d errors for %d arguments", len(vals), len(errs), len(args))
		}
		kinds := map[int]string{0: wire.KindError, 2: wire.KindPanic, 4: wire.KindError}
		for i := range args {
			var te *pool.TaskError
			want, fails := kinds[i]
			switch {
			case fails && (!errors.As(errs[i], &te) || te.Kind != want || vals[i] != 0):
				t.Errorf("args[%d]: %d, %v; want a %s", i, vals[i], errs[i], want)
			case fails && !strings.Contains(errs[i].Error(), fmt.Sprintf("args[%d]", i)):
				t.Errorf("args[%d]: %v does not name its index", i, errs[i])
			case !fails && (errs[i] != nil || vals[i] == 0):
				t.Errorf("args[%d]: %d, %v; want it run", i, vals[i], errs[i])
			}
		}
		if err := errors.Join(errs...); err == nil || strings.Count(err.Error(), "\n") != 2 {
			t.Errorf("joined: %v; want three errors", err)
		}
	})
}

func TestMapAllNoErrors(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		vals, errs := pool.MapAll(bounded(t), p, square, indices(1000))
		if errs != nil {
			t.Fatalf("errs %v: want nil", errors.Join(errs...))
		}
		for i, v := range vals {
			if v != i*i {
				t.Fatalf("vals[%d] = %d", i, v)
			}
		}
		if vals, errs := pool.MapAll(bounded(t), p, square, nil); len(vals) != 0 || errs != nil {
			t.Fatalf("no arguments: %v, %v", vals, errs)
		}
	})
}

// An argument that cannot be encoded fails alone; the others are sent.
func TestMapAllUnencodable(t *testing.T) {
	p := typedPool(t)
	vals, errs := pool.MapAll(bounded(t), p, typeOf, []any{1, make(chan int), "three", func() {}})
	if errs == nil || errs[0] != nil || errs[2] != nil || vals[2] != "string" {
		t.Fatalf("%q, %v: want 0 and 2 run", vals, errs)
	}
	for _, i := range []int{1, 3} {
		if errs[i] == nil || !strings.Contains(errs[i].Error(), "args[") || vals[i] != "" {
			t.Errorf("args[%d]: %q, %v: want its encoding error", i, vals[i], errs[i])
		}
	}
}

// A function the workers do not have fails every index; a context that
// ends cancels what has not run, and the results already in stay.
func TestMapAllStops(t *testing.T) {
	p := typedPool(t)
	_, errs := pool.MapAll(bounded(t), p, lateFunc(), []int{1, 2})
	if len(errs) != 2 || errs[0] == nil || errs[1] == nil || !strings.Contains(errs[1].Error(), "unknown function") {
		t.Fatalf("unknown function: %v", errs)
	}

	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		ctx, cancel := context.WithCancel(bounded(t))
		defer cancel()
		args := make([]int, 400)
		for i := range args {
			args[i] = 5
		}
		var canceller sync.WaitGroup
		canceller.Go(func() { // once some tasks have run
			for tasksDone(p) < 10 && ctx.Err() == nil {
				time.Sleep(time.Millisecond)
			}
			cancel()
		})
		_, errs := pool.MapAll(ctx, p, napOrFail, args)
		canceller.Wait()
		ran, stopped := 0, 0
		for i := range args {
			switch {
			case errs[i] == nil:
				ran++
			case errors.Is(errs[i], context.Canceled):
				stopped++
			default:
				t.Fatalf("args[%d]: %v", i, errs[i])
			}
		}
		if ran == 0 || stopped == 0 || ran+stopped != len(args) {
			t.Fatalf("%d ran, %d stopped of %d: want both", ran, stopped, len(args))
		}
	})
}
