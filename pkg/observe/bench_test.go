package observe_test

import (
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/observe"
	"github.com/brinehq/brine/pkg/pool"
)

// BenchmarkObserve is what observing costs per result, from two
// goroutines as two workers' results arrive: the figures in
// bench/RESULTS.md ("Design measurements": Observing a run).
func BenchmarkObserve(b *testing.B) {
	for _, c := range []struct {
		name string
		o    func() *observe.Observer
	}{
		{"metrics", func() *observe.Observer { return &observe.Observer{Metrics: observe.NewMetrics()} }},
		{"trace", func() *observe.Observer { return &observe.Observer{Trace: observe.NewTrace()} }},
	} {
		b.Run(c.name, func(b *testing.B) {
			run := c.o().Start("process", nil)
			b.SetParallelism(1)
			b.RunParallel(func(pb *testing.PB) {
				r := pool.Result{Worker: 1, PID: 2, Attempts: 1, Compute: time.Microsecond}
				for pb.Next() {
					r.Index++
					run.Observe(r)
				}
			})
			run.End()
		})
	}
}
