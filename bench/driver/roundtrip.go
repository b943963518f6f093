package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/brinehq/brine/pkg/jobs" // registers the built-in functions, echo among them
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/transport/plugin"
)

// roundTripWarmup calls are made before timing, so the worker is paged in
// and both sides are scheduled.
const roundTripWarmup = 200

// abandonAfter is how long a timed-out in-process measurement may take to
// end once its pool is closed.
const abandonAfter = 10 * time.Second

// roundTripProbe times one task's round trip on an unloaded pool, in this
// process: a pool of one bin/worker, with opts, and many sequential
// one-call Runs of echo with an empty payload; the figure is the median
// call, in µs. The key is in its name, as the variants differ only in
// opts and a probe that times out is skipped by name.
func (d *driver) roundTripProbe(key string, opts ...pool.Option) probe {
	return probe{name: "brine round trip (in-process pool) " + key, keys: []string{key}, timeout: time.Minute,
		run: func(ctx context.Context) (map[string]float64, error) {
			med, err := d.roundTrip(ctx, d.cfg.roundTrips, opts...)
			return map[string]float64{key: med}, err
		}}
}

// pluginRoundTripProbe is roundTripProbe over the go-plugin transport.
func (d *driver) pluginRoundTripProbe(key string) probe {
	return probe{name: "brine round trip over go-plugin (in-process pool)", keys: []string{key}, timeout: time.Minute,
		run: func(ctx context.Context) (map[string]float64, error) {
			tr, err := plugin.New(plugin.Config{Command: []string{d.bin("worker-plugin")}})
			if err != nil {
				return nil, err
			}
			med, err := d.roundTrip(ctx, d.cfg.roundTrips, pool.WithTransport(tr))
			return map[string]float64{key: med}, err
		}}
}

func (d *driver) roundTrip(ctx context.Context, calls int, opts ...pool.Option) (float64, error) {
	p, err := pool.New(ctx, append([]pool.Option{pool.WithWorkers(1), pool.WithCommand(d.bin("worker-pipe"))}, opts...)...)
	if err != nil {
		return 0, err
	}
	defer p.Close()
	// A task that never returns would block Run for good; Close fails it by
	// killing its worker, so on timeout the measuring goroutine is released
	// and waited for.
	var med float64
	done := make(chan error, 1)
	go func() {
		var err error
		med, err = timeCalls(ctx, p, calls)
		done <- err
	}()
	select {
	case err = <-done:
		return med, err
	case <-ctx.Done():
		p.Close()
		select {
		case <-done:
		case <-time.After(abandonAfter):
			// Leave it: the driver must go on, and exits soon anyway.
		}
		return 0, fmt.Errorf("round trip: %w", ctx.Err())
	}
}

// timeCalls makes warm-up and then calls one-call Runs and returns the median
// in µs.
func timeCalls(ctx context.Context, p *pool.Pool, calls int) (float64, error) {
	payload := []byte{}
	build := func(int) task.Call { return jobs.Echo.Call(payload) }
	var failure error
	each := func(r pool.Result) {
		if r.Err != nil {
			failure = r.Err // one call per Run: no concurrent writes
		}
	}
	samples := make([]float64, calls)
	for i := -roundTripWarmup; i < calls; i++ {
		start := time.Now()
		if err := p.Run(ctx, 1, build, each); err != nil {
			return 0, err
		}
		elapsed := time.Since(start)
		if failure != nil {
			return 0, errors.Join(errors.New("echo failed"), failure)
		}
		if i >= 0 {
			samples[i] = float64(elapsed) / 1e3
		}
	}
	return median(samples), nil
}
