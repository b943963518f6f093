package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The probes of brine itself, through bin/coordinator as users run it.

// coordRun is the part of a coordinator report (-report -) the driver reads.
type coordRun struct {
	SpawnSeconds float64 `json:"spawn_seconds"`
	TasksFailed  int     `json:"tasks_failed"`
}

func (d *driver) coordinator(ctx context.Context, args ...string) (*output, error) {
	return command(ctx, nil, d.bin("coordinator"), args...)
}

// reportRun runs the coordinator with -report - and returns runs[0].
func (d *driver) reportRun(ctx context.Context, args ...string) (coordRun, error) {
	out, err := d.coordinator(ctx, append(args, "-report", "-")...)
	if err != nil {
		return coordRun{}, err
	}
	var rep struct {
		Runs []coordRun `json:"runs"`
	}
	if err := json.Unmarshal(out.stdout, &rep); err != nil {
		return coordRun{}, fmt.Errorf("coordinator report: %w", err)
	}
	if len(rep.Runs) == 0 {
		return coordRun{}, fmt.Errorf("coordinator report has no runs")
	}
	r := rep.Runs[0]
	if r.TasksFailed > 0 {
		return r, fmt.Errorf("coordinator: %d tasks failed", r.TasksFailed)
	}
	return r, nil
}

// echoRun runs the echo job with payloads of size bytes (see jobRun).
func (d *driver) echoRun(ctx context.Context, workers, tasks, size int, extra ...string) (wall time.Duration, perSec float64, err error) {
	return d.jobRun(ctx, "echo", workers, tasks, append([]string{"-size", strconv.Itoa(size)}, extra...)...)
}

// jobRun runs one of the coordinator's jobs with the extra flags and
// returns the run's wall time and tasks/s, read from the summary table. No
// report is asked for: a report keeps every task's result in the
// coordinator, a cost that is the report's, not the pool's, and large
// beside a run of trivial tasks (bench/RESULTS.md, "Design measurements":
// No report in throughput runs). The coordinator exits non-zero when a task
// fails, which fails the measurement.
func (d *driver) jobRun(ctx context.Context, job string, workers, tasks int, extra ...string) (wall time.Duration, perSec float64, err error) {
	args := append([]string{"-workers", strconv.Itoa(workers), "-job", job, "-tasks", strconv.Itoa(tasks)}, extra...)
	out, err := d.coordinator(ctx, args...)
	if err != nil {
		return 0, 0, err
	}
	return parseSummary(out.stdout, modeOf(extra))
}

// modeOf is the mode that coordinator flags ask for: the last -mode's
// value, as the flag package keeps the last, or the coordinator's default,
// process.
func modeOf(flags []string) string {
	mode := "process"
	for i, a := range flags {
		if a == "-mode" && i+1 < len(flags) {
			mode = flags[i+1]
		}
	}
	return mode
}

// parseSummary finds the row of mode in the coordinator's summary table and
// reads its wall and tasks/s columns, located by the header.
func parseSummary(stdout []byte, mode string) (wall time.Duration, perSec float64, err error) {
	col := map[string]int{}
	for line := range bytes.Lines(stdout) {
		f := strings.Fields(string(line))
		if len(f) == 0 {
			clear(col) // the table ended: lines after it that start with a mode are not its rows
			continue
		}
		if f[0] == "mode" {
			for i, name := range f {
				col[name] = i
			}
			continue
		}
		iw, okw := col["wall"]
		it, okt := col["tasks/s"]
		if !okw || !okt || f[0] != mode || len(f) <= max(iw, it) {
			continue
		}
		if wall, err = time.ParseDuration(f[iw]); err != nil {
			return 0, 0, fmt.Errorf("coordinator summary: wall %q: %w", f[iw], err)
		}
		if perSec, err = strconv.ParseFloat(f[it], 64); err != nil {
			return 0, 0, fmt.Errorf("coordinator summary: tasks/s %q: %w", f[it], err)
		}
		return wall, perSec, nil
	}
	return 0, 0, fmt.Errorf("coordinator summary: no %s row under a header with wall and tasks/s", mode)
}

// poolWarmup is how many tasks warm a pool before its timed run: as many as
// pool_bench.py's own warm-up, a map of 8 trivial calls, runs on its pools
// before it starts the clock.
const poolWarmup = 8

// throughputProbe measures tasks/s of the echo job on a pool warmed as
// pool_bench.py warms its pools (-warmup), like for like with its figures.
func (d *driver) throughputProbe(key string, tasks, size int, extra ...string) probe {
	return d.echoProbe(key, tasks, size, append([]string{"-warmup", strconv.Itoa(poolWarmup)}, extra...)...)
}

// echoProbe measures tasks/s of the echo job, as it runs on a fresh pool
// but for what extra asks.
func (d *driver) echoProbe(key string, tasks, size int, extra ...string) probe {
	return d.jobProbe(key, "echo", tasks, append([]string{"-size", strconv.Itoa(size)}, extra...)...)
}

// jobProbe measures tasks/s of tasks tasks of a job on 2 workers, run
// with the extra flags. Its name holds the count, so that two counts of
// one job are two probes (a probe that times out is skipped by name).
func (d *driver) jobProbe(key, job string, tasks int, extra ...string) probe {
	return probe{name: fmt.Sprintf("brine %s ×%d %s", job, tasks, strings.Join(extra, " ")),
		keys: []string{key}, timeout: 3 * time.Minute,
		run: func(ctx context.Context) (map[string]float64, error) {
			_, perSec, err := d.jobRun(ctx, job, 2, tasks, extra...)
			return map[string]float64{key: perSec}, err
		}}
}

// payloadProbe measures MB/s of echo with large payloads: tasks × size / wall.
func (d *driver) payloadProbe(key string) probe {
	return probe{name: "brine echo 1 MiB", keys: []string{key}, timeout: 2 * time.Minute,
		run: func(ctx context.Context) (map[string]float64, error) {
			wall, _, err := d.echoRun(ctx, 2, d.cfg.mibTasks, 1<<20)
			mb := float64(d.cfg.mibTasks) * (1 << 20) / 1e6
			return map[string]float64{key: mb / wall.Seconds()}, err
		}}
}

// spawnProbe measures the time from the start to n workers ready, in ms,
// with the coordinator's extra flags.
func (d *driver) spawnProbe(key string, n int, extra ...string) probe {
	return probe{name: strings.Join(append([]string{"brine spawn", strconv.Itoa(n)}, extra...), " "), keys: []string{key}, timeout: time.Minute,
		run: func(ctx context.Context) (map[string]float64, error) {
			args := append([]string{"-workers", strconv.Itoa(n), "-job", "echo", "-tasks", "1", "-size", "0"}, extra...)
			r, err := d.reportRun(ctx, args...)
			return map[string]float64{key: r.SpawnSeconds * 1e3}, err
		}}
}

// rssProbe measures the coordinator's own peak RSS over a long run that
// writes its report, every result in it, to a file (see peakRSS).
func (d *driver) rssProbe(key string) probe {
	return probe{name: "brine RSS run with -report", keys: []string{key}, timeout: 4 * time.Minute,
		run: func(ctx context.Context) (map[string]float64, error) {
			dir, err := os.MkdirTemp("", "brine-rss-")
			if err != nil {
				return nil, err
			}
			defer os.RemoveAll(dir)
			kib, err := peakRSS(ctx, d.bin("coordinator"), "-workers", "2", "-job", "echo", "-size", "0",
				"-tasks", strconv.Itoa(d.cfg.streamTasks), "-report", filepath.Join(dir, "report.json"))
			if err != nil {
				return nil, err
			}
			return map[string]float64{key: float64(kib) / 1024}, nil
		}}
}

// spinFlag is the -spin of the spinning barrier figures: longer than the
// demo's settle time, so waiters are still spinning when released.
const spinFlag = "5ms"

// barrierProbe runs brine's barrier demo for n workers, with waiters
// spinning for spin before they sleep ("0": they sleep at once).
func (d *driver) barrierProbe(prefix string, n int, spin string) probe {
	keys := barrierKeys(prefix)
	return probe{name: fmt.Sprintf("brine demo barrier N=%d -spin %s", n, spin), keys: keys, timeout: time.Minute,
		run: func(ctx context.Context) (map[string]float64, error) {
			out, err := d.coordinator(ctx, "demo", "barrier", "-workers", strconv.Itoa(n),
				"-rounds", strconv.Itoa(d.cfg.rounds), "-spin", spin, "-report", "-")
			if err != nil {
				return nil, err
			}
			return parseBarrierReport(out.stdout, keys)
		}}
}

// parseBarrierReport reads barrier.latency_us and barrier.skew_us (median
// and p99) from a barrier demo's report into keys, as barrierKeys orders them.
func parseBarrierReport(stdout []byte, keys []string) (map[string]float64, error) {
	type stat struct{ Median, P99 *float64 }
	var rep struct {
		Barrier *struct {
			Latency stat `json:"latency_us"`
			Skew    stat `json:"skew_us"`
		} `json:"barrier"`
	}
	if err := json.Unmarshal(stdout, &rep); err != nil {
		return nil, fmt.Errorf("barrier report: %w", err)
	}
	b := rep.Barrier
	if b == nil || b.Latency.Median == nil || b.Latency.P99 == nil || b.Skew.Median == nil || b.Skew.P99 == nil {
		return nil, fmt.Errorf("barrier report lacks barrier.latency_us/skew_us median and p99")
	}
	return map[string]float64{keys[0]: *b.Latency.Median, keys[1]: *b.Latency.P99,
		keys[2]: *b.Skew.Median, keys[3]: *b.Skew.P99}, nil
}

// barrierKeys are a barrier measurement's figures: latency median and p99,
// skew median and p99, in µs.
func barrierKeys(prefix string) []string {
	return []string{prefix + ".lat_med", prefix + ".lat_p99", prefix + ".skew_med", prefix + ".skew_p99"}
}
