package pool_test

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

// stamp is a worker's value of stamped: the process that made it, and how
// many values that process had made by then.
type stamp struct {
	PID, N int
}

var (
	stampsMade atomic.Int64 // in this process
	stamped    = task.RegisterState("pooltest.stamped", func(context.Context) (stamp, error) {
		return stamp{PID: os.Getpid(), N: int(stampsMade.Add(1))}, nil
	})
	stampOf = task.Register("pooltest.stampof", func(ctx context.Context, _ int) (stamp, error) {
		return stamped.Get(ctx)
	})
)

// Each worker makes its value of a State once, however many tasks it runs:
// a worker process its own, each thread worker its own.
func TestStatePerWorker(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		before := stampsMade.Load()
		var mu sync.Mutex
		byWorker := map[int]stamp{} // by worker id
		for range 3 {
			err := p.Run(bounded(t), 2000, func(int) task.Call { return stampOf.Call(0) }, func(r pool.Result) {
				s, err := stampValue(r)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if had, ok := byWorker[r.Worker]; ok && had != s {
					t.Errorf("worker %d had %v, now %v", r.Worker, had, s)
				}
				byWorker[r.Worker] = s
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		distinct := map[stamp]bool{}
		for _, s := range byWorker {
			distinct[s] = true
			if p.Options().Mode == pool.Process && s.N != 1 {
				t.Errorf("worker process %d made its value %d times", s.PID, s.N)
			}
		}
		if len(distinct) != len(byWorker) {
			t.Errorf("workers share values: %v", byWorker)
		}
		if made := stampsMade.Load() - before; p.Options().Mode == pool.Thread && made != int64(len(byWorker)) {
			t.Errorf("%d thread workers made %d values", len(byWorker), made)
		}
	})
}

func stampValue(r pool.Result) (stamp, error) {
	if r.Err != nil {
		return stamp{}, r.Err
	}
	if r.Raw != nil {
		return stampOf.Decode(r.Raw)
	}
	return r.Value.(stamp), nil
}
