package pool_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

// BenchmarkRun measures dispatch: b.N trivial echo tasks through a pool of
// two workers, per mode and batching. ns/op is the cost of one task.
func BenchmarkRun(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []pool.Option
	}{
		{"thread", []pool.Option{pool.WithMode(pool.Thread)}},
		{"thread+wire", []pool.Option{pool.WithMode(pool.Thread), pool.WithWire(true)}},
		{"process/batch=auto", nil},
		{"process/batch=1", []pool.Option{pool.WithBatch(1)}},
	} {
		for _, size := range []int{0, 4096, 1 << 20} {
			b.Run(fmt.Sprintf("%s/payload=%d", bc.name, size), func(b *testing.B) {
				ctx := context.Background()
				p, err := pool.New(ctx, append([]pool.Option{pool.WithWorkers(2)}, bc.opts...)...)
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close()
				payload := make([]byte, size)
				var failed atomic.Int64
				b.ReportAllocs()
				b.SetBytes(int64(size))
				b.ResetTimer()
				err = p.Run(ctx, b.N, func(int) task.Call { return jobs.Echo.Call(payload) }, func(r pool.Result) {
					if r.Err != nil {
						failed.Add(1)
					}
				})
				b.StopTimer()
				if err != nil || failed.Load() > 0 {
					b.Fatalf("run: %v, %d failed", err, failed.Load())
				}
			})
		}
	}
}
