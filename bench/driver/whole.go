package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Whole cold runs: a command timed from exec to exit, as someone who runs
// it once waits for it, its start-up and shutdown included. Each side is
// run a few times in a row and the median taken, since a single start of a
// few hundred milliseconds moves by half on a shared machine.

// medianWall runs run n times, one after the other, and returns the median
// of their wall times (output.wall: from exec to exit). It stops at the
// first failure and returns it.
func medianWall(ctx context.Context, n int, run func(context.Context) (*output, error)) (time.Duration, error) {
	if n < 1 {
		return 0, fmt.Errorf("whole run: %d runs asked for, want at least 1", n)
	}
	walls := make([]float64, n)
	for i := range walls {
		out, err := run(ctx)
		if err != nil {
			return 0, err
		}
		walls[i] = float64(out.wall)
	}
	return time.Duration(median(walls)), nil
}

// wholeProbe measures a whole run of tasks tasks in tasks/s: tasks over the
// median wall time of runs runs.
func wholeProbe(name, key string, tasks, runs int, run func(context.Context) (*output, error)) probe {
	return probe{name: name, keys: []string{key}, timeout: 2 * time.Minute,
		run: func(ctx context.Context) (map[string]float64, error) {
			wall, err := medianWall(ctx, runs, run)
			if err != nil {
				return nil, err
			}
			return map[string]float64{key: float64(tasks) / wall.Seconds()}, nil
		}}
}

// coordinatorWholeProbe times the whole coordinator command echoing the
// configured count of empty payloads on 2 workers, with its default
// settings: no -warmup, no report, its output to pipes.
func (d *driver) coordinatorWholeProbe(key string) probe {
	args := []string{"-workers", "2", "-job", "echo", "-tasks", strconv.Itoa(d.cfg.tasks), "-size", "0"}
	return wholeProbe(fmt.Sprintf("brine whole command ×%d: coordinator %s", d.cfg.spawnReps, strings.Join(args, " ")),
		key, d.cfg.tasks, d.cfg.spawnReps,
		func(ctx context.Context) (*output, error) { return d.coordinator(ctx, args...) })
}

// pythonWholeProbe times the whole of scripts/pool_whole.py for the same
// count: interpreter start, Pool(2), Pool.map at its default chunksize,
// shutdown.
func (d *driver) pythonWholeProbe(key string) probe {
	n := strconv.Itoa(d.cfg.tasks)
	return wholeProbe(fmt.Sprintf("python whole script ×%d: pool_whole.py %s", d.cfg.spawnReps, n),
		key, d.cfg.tasks, d.cfg.spawnReps,
		func(ctx context.Context) (*output, error) { return d.python(ctx, d.cfg.poolWhole, n) })
}
