package plugin_test

import (
	"context"
	"testing"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/transport/pipe"
	"github.com/brinehq/brine/pkg/transport/plugin"
)

// transports are what the benchmarks compare: pipes, and go-plugin over
// each protocol.
func transports(b *testing.B) map[string]func() transport.Transport {
	return map[string]func() transport.Transport{
		"pipe": func() transport.Transport {
			tr, err := pipe.New(pipe.Config{})
			if err != nil {
				b.Fatal(err)
			}
			return tr
		},
		"netrpc": func() transport.Transport { return newPlugin(b, plugin.NetRPC) },
		"grpc":   func() transport.Transport { return newPlugin(b, plugin.GRPC) },
	}
}

func newPlugin(b *testing.B, proto plugin.Protocol) transport.Transport {
	tr, err := plugin.New(plugin.Config{Protocol: proto})
	if err != nil {
		b.Fatal(err)
	}
	return tr
}

func benchPool(b *testing.B, tr transport.Transport, workers int) *pool.Pool {
	p, err := pool.New(context.Background(), pool.WithTransport(tr), pool.WithWorkers(workers), pool.WithEnv(quickExit))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	return p
}

// BenchmarkRoundTrip times one call of a trivial task on an idle worker.
func BenchmarkRoundTrip(b *testing.B) {
	for name, newTr := range transports(b) {
		b.Run(name, func(b *testing.B) {
			p := benchPool(b, newTr(), 1)
			arg := [][]byte{[]byte("x")}
			for b.Loop() {
				if _, err := pool.Map(context.Background(), p, jobs.Echo, arg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkThroughput runs 100,000 trivial tasks per op on two warm
// workers, batched as the pool does.
func BenchmarkThroughput(b *testing.B) {
	const n = 100_000
	args := make([][]byte, n)
	for i := range args {
		args[i] = []byte("x")
	}
	for name, newTr := range transports(b) {
		b.Run(name, func(b *testing.B) {
			p := benchPool(b, newTr(), 2)
			if _, err := pool.Map(context.Background(), p, jobs.Echo, args[:1000]); err != nil { // warm
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := pool.Map(context.Background(), p, jobs.Echo, args); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tasks/s")
		})
	}
}
