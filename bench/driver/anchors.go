package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"time"
)

// The anchors: the Python programs of ../shared/anchors, run with the real
// interpreter, and the raw limits of bin/rawpipe.

// lastJSON decodes the last JSON line of out into v.
func lastJSON(out *output, v any) error {
	lines := jsonLines(out.stdout)
	if len(lines) == 0 {
		return fmt.Errorf("no JSON line on stdout")
	}
	return json.Unmarshal(lines[len(lines)-1], v)
}

// python runs one of the anchor programs (or scripts/pool_anchor.py,
// scripts/pool_whole.py).
func (d *driver) python(ctx context.Context, script string, args ...string) (*output, error) {
	env := []string{"BRINE_SHARED=" + filepath.Dir(d.cfg.anchors)}
	return command(ctx, env, d.cfg.python, append([]string{script}, args...)...)
}

// poolProbe times one (executor, mode) pair of pool_bench.py in tasks/s.
// kind is "trivial" or "payload".
func (d *driver) poolProbe(key, kind, executor, mode string, tasks int) probe {
	pair := fmt.Sprintf("%s:%s:%d", executor, mode, tasks)
	return probe{name: "python " + kind + " " + pair, keys: []string{key}, timeout: 3 * time.Minute,
		run: func(ctx context.Context) (map[string]float64, error) {
			out, err := d.python(ctx, d.cfg.poolAnchor, kind, pair)
			if err != nil {
				return nil, err
			}
			var r struct {
				TasksPerS *float64 `json:"tasks_per_s"`
			}
			if err := lastJSON(out, &r); err != nil {
				return nil, err
			}
			if r.TasksPerS == nil {
				return nil, fmt.Errorf("pool_anchor.py: no tasks_per_s in its JSON line")
			}
			return map[string]float64{key: *r.TasksPerS}, nil
		}}
}

// wakeResult is a JSON line of barrier_bench.py, and of rawpipe futex,
// which uses the same names.
type wakeResult struct {
	LatMed  *float64 `json:"lat_med_us"`
	LatP99  *float64 `json:"lat_p99_us"`
	SkewMed *float64 `json:"skew_med_us"`
	SkewP99 *float64 `json:"skew_p99_us"`
}

func (w wakeResult) values(keys []string) (map[string]float64, error) {
	if w.LatMed == nil || w.LatP99 == nil || w.SkewMed == nil || w.SkewP99 == nil {
		return nil, fmt.Errorf("no lat_med_us, lat_p99_us, skew_med_us, skew_p99_us")
	}
	return map[string]float64{keys[0]: *w.LatMed, keys[1]: *w.LatP99, keys[2]: *w.SkewMed, keys[3]: *w.SkewP99}, nil
}

// wakeProbe runs barrier_bench.py (kind "barrier" or "condition") for n
// processes, one run of the configured rounds.
func (d *driver) wakeProbe(prefix, kind string, n int) probe {
	keys := barrierKeys(prefix)
	return probe{name: fmt.Sprintf("python %s N=%d", kind, n), keys: keys, timeout: time.Minute,
		run: func(ctx context.Context) (map[string]float64, error) {
			out, err := d.python(ctx, filepath.Join(d.cfg.anchors, "barrier_bench.py"),
				kind, strconv.Itoa(n), strconv.Itoa(d.cfg.rounds), "1")
			if err != nil {
				return nil, err
			}
			var w wakeResult
			if err := lastJSON(out, &w); err != nil {
				return nil, fmt.Errorf("barrier_bench.py: %w", err)
			}
			return w.values(keys)
		}}
}

// firstProbe times Python's Pool(2) and its first result, in ms.
func (d *driver) firstProbe(key string) probe {
	return probe{name: "python pool_first inproc", keys: []string{key}, timeout: time.Minute,
		run: func(ctx context.Context) (map[string]float64, error) {
			out, err := d.python(ctx, filepath.Join(d.cfg.anchors, "pool_first.py"),
				"inproc", strconv.Itoa(d.cfg.spawnReps+1)) // its first iteration pays imports and is left out
			if err != nil {
				return nil, err
			}
			var r struct {
				Med *float64 `json:"med_ms"`
			}
			if err := lastJSON(out, &r); err != nil {
				return nil, err
			}
			if r.Med == nil {
				return nil, fmt.Errorf("pool_first.py: no med_ms in its JSON line")
			}
			return map[string]float64{key: *r.Med}, nil
		}}
}

func (d *driver) rawpipe(ctx context.Context, v any, args ...string) error {
	out, err := command(ctx, nil, d.bin("rawpipe"), args...)
	if err != nil {
		return err
	}
	if err := lastJSON(out, v); err != nil {
		return fmt.Errorf("rawpipe %s: %w", args[0], err)
	}
	return nil
}

// rttProbe measures the raw pipe round trip of 64 bytes, in µs.
func (d *driver) rttProbe(key string, blocking bool) probe {
	args := []string{"rtt", "-size", "64", "-n", strconv.Itoa(d.cfg.rttN)}
	if blocking {
		args = append(args, "-blocking")
	}
	return probe{name: fmt.Sprint("rawpipe ", args), keys: []string{key}, timeout: 2 * time.Minute,
		run: func(ctx context.Context) (map[string]float64, error) {
			var r struct {
				MedianNs *float64 `json:"median_ns"`
			}
			if err := d.rawpipe(ctx, &r, args...); err != nil {
				return nil, err
			}
			if r.MedianNs == nil {
				return nil, fmt.Errorf("rawpipe rtt: no median_ns in its JSON line")
			}
			return map[string]float64{key: *r.MedianNs / 1e3}, nil
		}}
}

// pipeThroughputProbe measures one-way pipe throughput in 64 KiB writes.
func (d *driver) pipeThroughputProbe(key string, blocking bool) probe {
	args := []string{"throughput", "-write", "64KiB", "-bytes", d.cfg.pipeBytes}
	if blocking {
		args = append(args, "-blocking")
	}
	return probe{name: fmt.Sprint("rawpipe ", args), keys: []string{key}, timeout: 2 * time.Minute,
		run: func(ctx context.Context) (map[string]float64, error) {
			var r struct {
				MBPerS *float64 `json:"mb_per_s"`
			}
			if err := d.rawpipe(ctx, &r, args...); err != nil {
				return nil, err
			}
			if r.MBPerS == nil {
				return nil, fmt.Errorf("rawpipe throughput: no mb_per_s in its JSON line")
			}
			return map[string]float64{key: *r.MBPerS}, nil
		}}
}

// rawSpawnProbe measures starting n children to their first byte, in ms.
func (d *driver) rawSpawnProbe(key string, n int) probe {
	args := []string{"spawn", "-n", strconv.Itoa(n), "-reps", strconv.Itoa(d.cfg.spawnReps)}
	return probe{name: fmt.Sprint("rawpipe ", args), keys: []string{key}, timeout: time.Minute,
		run: func(ctx context.Context) (map[string]float64, error) {
			var r struct {
				MedianMs *float64 `json:"median_ms"`
			}
			if err := d.rawpipe(ctx, &r, args...); err != nil {
				return nil, err
			}
			if r.MedianMs == nil {
				return nil, fmt.Errorf("rawpipe spawn: no median_ms in its JSON line")
			}
			return map[string]float64{key: *r.MedianMs}, nil
		}}
}

// futexProbe measures a raw FUTEX_WAKE of n processes.
func (d *driver) futexProbe(prefix string, n int) probe {
	keys := barrierKeys(prefix)
	args := []string{"futex", "-n", strconv.Itoa(n), "-rounds", strconv.Itoa(d.cfg.rounds)}
	return probe{name: fmt.Sprint("rawpipe ", args), keys: keys, timeout: time.Minute,
		run: func(ctx context.Context) (map[string]float64, error) {
			var w wakeResult
			if err := d.rawpipe(ctx, &w, args...); err != nil {
				return nil, err
			}
			return w.values(keys)
		}}
}
