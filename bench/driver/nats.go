package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/brinehq/brine/pkg/cond"
	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	natst "github.com/brinehq/brine/pkg/transport/nats"
	"github.com/brinehq/brine/pkg/transport/nats/natsserver"
)

// natsTransport returns a transport over a server of its own, on
// loopback, whose workers are bin/worker processes.
func (d *driver) natsTransport() (*natst.Transport, error) {
	srv, err := natsserver.Start(natsserver.Config{})
	if err != nil {
		return nil, err
	}
	return natst.New(natst.Config{URLs: []string{srv.ClientURL()}, Server: srv, Local: natst.AllLocal,
		Command: []string{d.bin("worker")}})
}

// natsRoundTripProbe is roundTripProbe over the nats transport.
func (d *driver) natsRoundTripProbe(key string) probe {
	return probe{name: "brine round trip over NATS (in-process pool, embedded server)", keys: []string{key}, timeout: time.Minute,
		run: func(ctx context.Context) (map[string]float64, error) {
			tr, err := d.natsTransport()
			if err != nil {
				return nil, err
			}
			med, err := d.roundTrip(ctx, d.cfg.roundTrips, pool.WithTransport(tr))
			return map[string]float64{key: med}, err
		}}
}

// natsBarrierProbe measures a barrier of the nats transport (kept on its
// server) as the barrier demo measures pipes' shared one: n workers wait,
// this process is the last party, and each release's latency runs from
// its timestamp to the last waiter awake, its skew from the first awake
// to the last.
func (d *driver) natsBarrierProbe(prefix string, n int) probe {
	keys := barrierKeys(prefix)
	return probe{name: fmt.Sprintf("brine barrier over NATS N=%d (in-process pool, embedded server)", n), keys: keys, timeout: time.Minute,
		run: func(ctx context.Context) (map[string]float64, error) {
			tr, err := d.natsTransport()
			if err != nil {
				return nil, err
			}
			// A worker runs its tasks one after the other, and the pool may
			// send two waiters to one: each takes one and is replaced.
			p, err := pool.New(ctx, pool.WithWorkers(n), pool.WithTransport(tr), pool.WithBatch(1), pool.WithMaxTasksPerWorker(1))
			if err != nil {
				return nil, err
			}
			defer p.Close()
			lat, skew, err := natsBarrierRounds(ctx, p, tr.Objects(), n, d.cfg.rounds)
			if err != nil {
				return nil, err
			}
			return map[string]float64{keys[0]: median(lat), keys[1]: p99(lat),
				keys[2]: median(skew), keys[3]: p99(skew)}, nil
		}}
}

// p99 is the 99th percentile of xs, by nearest rank.
func p99(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(xs))
	return s[min(len(s)-1, int(math.Ceil(0.99*float64(len(s))))-1)]
}

// natsBarrierSettle is how long the releaser waits once every waiter is
// blocked, as the barrier demo does.
const natsBarrierSettle = 2 * time.Millisecond

// natsBarrierRounds runs n waiters on p and releases them rounds times;
// it returns each round's latency and skew, in µs.
func natsBarrierRounds(ctx context.Context, p *pool.Pool, objs cond.Objects, n, rounds int) (lat, skew []float64, err error) {
	name := "bench.barrier." + strconv.Itoa(n)
	b, err := objs.Barrier(name, n+1)
	if err != nil {
		return nil, nil, err
	}
	spec := task.Bind(jobs.BarrierRounds, jobs.BarrierSpec{Name: name, Parties: n + 1, Rounds: rounds})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wakes := make([][]int64, n)
	var runErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		runErr = p.Run(ctx, n, func(i int) task.Call { return spec.Call(int64(i)) }, func(r pool.Result) {
			if r.Err != nil {
				b.Abort()
				return
			}
			task.Unmarshal(r.Raw, &wakes[r.Index])
		})
	})
	var t0s []int64
	for range rounds {
		for b.Waiting() < n && ctx.Err() == nil && !b.Broken() {
			time.Sleep(100 * time.Microsecond)
		}
		time.Sleep(natsBarrierSettle)
		t0 := cond.Now()
		if _, _, err = b.Wait(ctx); err != nil {
			cancel()
			break
		}
		t0s = append(t0s, t0)
	}
	wg.Wait()
	if err == nil {
		err = runErr
	}
	if err != nil {
		return nil, nil, fmt.Errorf("barrier over NATS: %w", err)
	}
	for r, t0 := range t0s {
		var first, last int64
		for w := range n {
			if len(wakes[w]) <= r {
				return nil, nil, fmt.Errorf("barrier over NATS: worker %d reported %d wakes, want %d", w, len(wakes[w]), len(t0s))
			}
			t := wakes[w][r]
			if w == 0 || t < first {
				first = t
			}
			last = max(last, t)
		}
		lat, skew = append(lat, float64(last-t0)/1e3), append(skew, float64(last-first)/1e3)
	}
	return lat, skew, nil
}

// natsSection sets the nats transport beside pipes, brine's default: each
// figure's anchor is the same measure over pipes in the same repetition.
func natsSection(c config) section {
	return section{"nats transport (-transport nats: NATS JetStream, embedded server on loopback) beside pipes", []figure{
		{name: fmt.Sprintf("nats: echo 0 B × %s automatic batching, 2 workers (-warmup %d)", thousands(c.tasks), poolWarmup),
			key: echoKey(0, "auto.nats"), unit: perSecond,
			anchorName: "the same over pipes", anchor: echoKey(0, "auto"),
			target: target{ratioAtLeast, 0.3, "≥ 0.3×"}},
		{name: "nats: one task's round trip, unloaded pool of 1", key: "brine.rtt.nats", unit: micros,
			anchorName: "the same over pipes", anchor: "brine.rtt"},
		{name: fmt.Sprintf("nats: N=2 barrier release latency, median (%d rounds)", c.rounds), key: "brine.barrier.nats.2.lat_med", unit: micros,
			anchorName: "the same over pipes (shared memory)", anchor: "brine.barrier.2.lat_med"},
		{name: fmt.Sprintf("nats: N=2 barrier skew, median (%d rounds)", c.rounds), key: "brine.barrier.nats.2.skew_med", unit: micros,
			anchorName: "the same over pipes (shared memory)", anchor: "brine.barrier.2.skew_med"},
	}}
}
