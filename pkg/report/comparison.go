package report

import (
	"cmp"
	"slices"
)

// Cost is what a run cost besides its results: how it compares with the
// baseline run, and what crossing to its workers took. Run embeds it, so its
// fields appear among a run's own in the JSON; a run recorded without it
// (a nil *Cost) has none of them.
//
// Measured fields are set by whoever ran the job; Compare derives Speedup,
// Efficiency and OverheadPerTaskSeconds from them.
type Cost struct {
	// Speedup is the baseline run's wall time divided by this run's
	// (see Comparison.Baseline); 1 for the baseline itself.
	Speedup float64 `json:"speedup"`
	// Efficiency is Speedup divided by WorkerCount: 1 when n workers made
	// the run n times faster than the baseline.
	Efficiency float64 `json:"efficiency"`
	// ComputeSeconds is the sum over tasks of the time their function ran,
	// as measured around the call where it ran (in the worker process in
	// process mode); time waiting for a GIL before a task is not in it.
	ComputeSeconds float64 `json:"compute_seconds"`
	// OverheadPerTaskSeconds is the worker time each task cost beyond the
	// baseline's computation: (WorkerCount × WallSeconds −
	// Comparison.BaselineComputeSeconds) / tasks. With one worker it is
	// (wall − baseline compute) / tasks. It counts dispatch, serialization,
	// pipes, waiting for the GIL or for a CPU when workers outnumber cores,
	// and workers left idle at the end of the run. Negative values mean the
	// work itself ran faster than in the baseline.
	OverheadPerTaskSeconds float64 `json:"overhead_per_task_seconds"`
	// BytesToWorkers and BytesFromWorkers are the bytes of the task and
	// result frames, headers included; 0 when nothing was serialized
	// (serial and thread runs).
	BytesToWorkers   int64 `json:"bytes_to_workers"`
	BytesFromWorkers int64 `json:"bytes_from_workers"`
	// EncodeSeconds and DecodeSeconds are the time the coordinator process
	// spent encoding task frames and decoding result frames and values (in
	// thread+wire, where the workers are goroutines, also the framing of the
	// workers' side). A worker process's own encoding is not in them.
	EncodeSeconds float64 `json:"encode_seconds"`
	DecodeSeconds float64 `json:"decode_seconds"`
	// CoordinatorPeakRSSBytes is the coordinator's peak resident set during
	// the run: its VmHWM, reset when the run starts where Linux allows
	// (/proc/self/clear_refs), else its peak since it started. Goroutine
	// workers are part of it.
	CoordinatorPeakRSSBytes int64 `json:"coordinator_peak_rss_bytes"`
	// WorkerPeakRSSBytes is the largest peak resident set of one worker
	// process, and WorkersPeakRSSBytes the sum of their peaks; 0 for runs
	// without worker processes.
	WorkerPeakRSSBytes  int64 `json:"worker_peak_rss_bytes,omitempty"`
	WorkersPeakRSSBytes int64 `json:"workers_peak_rss_bytes,omitempty"`
}

// Comparison sets the runs of one invocation side by side: the figures of
// the coordinator's comparison table. Runs of one mode at one worker count
// made more than once (-repeat) share a row: its figures are their medians,
// and its ranges their spread.
type Comparison struct {
	// Baseline is the mode of the run that speedups are relative to:
	// "serial" when a serial run was made, else the first run's mode.
	Baseline               string  `json:"baseline"`
	BaselineWallSeconds    float64 `json:"baseline_wall_seconds"`
	BaselineComputeSeconds float64 `json:"baseline_compute_seconds"`
	// CPUs is the number of CPUs the runs could use.
	CPUs int `json:"cpus"`
	// Sweep lists the worker counts of a -sweep, in order; empty otherwise.
	Sweep []int `json:"sweep,omitempty"`
	// Repeats is how many times each run was made (-repeat); 0 or 1 for once.
	Repeats int `json:"repeats,omitempty"`
	// IdenticalOutputs is true when every run has the same Digest; a run
	// whose workers never started (Run.Error) computed nothing to compare.
	IdenticalOutputs bool `json:"identical_outputs"`
	// Fastest is the index in Rows of the row with the least (median) wall
	// time.
	Fastest int `json:"fastest"`
	// FastestBeyondNoise is true when the fastest row is faster than every
	// other row by more than the noise of the measurement (see Differ).
	FastestBeyondNoise bool            `json:"fastest_beyond_noise"`
	Rows               []ComparisonRow `json:"rows"`
}

// ComparisonRow is one run in a Comparison, or the runs of one mode at one
// worker count when they were repeated.
type ComparisonRow struct {
	Run            int     `json:"run"` // index in Report.Runs: the run of the median wall time
	Mode           string  `json:"mode"`
	Workers        int     `json:"workers"`
	WallSeconds    float64 `json:"wall_seconds"` // the median of the repeats
	TasksPerSecond float64 `json:"tasks_per_second"`
	SpawnSeconds   float64 `json:"spawn_seconds"`
	Fastest        bool    `json:"fastest"`
	// Repeats is how many runs the row sums up; with more than one, the
	// fields below are their spread, and Speedup, Efficiency and
	// OverheadPerTaskSeconds their medians.
	Repeats        int     `json:"repeats,omitempty"`
	WallMinSeconds float64 `json:"wall_min_seconds,omitempty"`
	WallMaxSeconds float64 `json:"wall_max_seconds,omitempty"`
	SpeedupMin     float64 `json:"speedup_min,omitempty"`
	SpeedupMax     float64 `json:"speedup_max,omitempty"`
	Cost
}

// NoiseMargin is how far apart two single measurements of wall time must
// be, as a fraction of the faster, before they are told apart. On an idle
// machine runs of the same work vary by a few percent; on one that runs
// anything else, by tens of percent, and a single sample cannot say which
// machine it came from. Repeated runs are told apart by their spreads
// instead.
const NoiseMargin = 0.25

// Differ reports whether rows i and j took measurably different wall
// times: when both were repeated, their ranges (min to max) do not
// overlap; otherwise their walls differ by more than NoiseMargin.
func (c *Comparison) Differ(i, j int) bool {
	a, b := c.Rows[i], c.Rows[j]
	if a.Repeats > 1 && b.Repeats > 1 {
		return a.WallMaxSeconds < b.WallMinSeconds || b.WallMaxSeconds < a.WallMinSeconds
	}
	lo, hi := min(a.WallSeconds, b.WallSeconds), max(a.WallSeconds, b.WallSeconds)
	return hi > lo*(1+NoiseMargin)
}

// Row returns the index in Rows of mode at workers, or -1.
func (c *Comparison) Row(mode string, workers int) int {
	for i, r := range c.Rows {
		if r.Mode == mode && r.Workers == workers {
			return i
		}
	}
	return -1
}

// Compare derives each run's Speedup, Efficiency and OverheadPerTaskSeconds
// against the baseline (the first run whose mode is "serial", else the first
// run) of its repeat (Run.Repeat), writing them into the runs' Cost, and
// returns the comparison of the runs: a row per mode and worker count. A
// run without a Cost gets one. It returns nil for no runs.
func Compare(runs []Run, cpus int) *Comparison {
	if len(runs) == 0 {
		return nil
	}
	for i := range runs {
		if runs[i].Cost == nil {
			runs[i].Cost = &Cost{}
		}
	}
	bases := baselines(runs)
	first := bases[runs[0].Repeat]
	c := &Comparison{Baseline: runs[first].Mode, CPUs: cpus, IdenticalOutputs: true}
	var groups [][]int // indexes in runs, a group per mode and worker count
	for i := range runs {
		r := &runs[i]
		b := &runs[first]
		if k, ok := bases[r.Repeat]; ok {
			b = &runs[k]
		}
		r.Speedup, r.Efficiency, r.OverheadPerTaskSeconds = 0, 0, 0
		if r.WallSeconds > 0 {
			r.Speedup = b.WallSeconds / r.WallSeconds
			r.Efficiency = r.Speedup / float64(max(r.WorkerCount, 1))
		}
		if tasks := r.TasksOK + r.TasksFailed; tasks > 0 {
			busy := float64(max(r.WorkerCount, 1)) * r.WallSeconds
			r.OverheadPerTaskSeconds = (busy - b.ComputeSeconds) / float64(tasks)
		}
		if r.Digest != runs[first].Digest && r.Error == "" && runs[first].Error == "" {
			c.IdenticalOutputs = false
		}
		g := slices.IndexFunc(groups, func(g []int) bool {
			return runs[g[0]].Mode == r.Mode && runs[g[0]].WorkerCount == r.WorkerCount
		})
		if g < 0 {
			groups = append(groups, nil)
			g = len(groups) - 1
		}
		groups[g] = append(groups[g], i)
		c.Repeats = max(c.Repeats, len(groups[g]))
	}
	for _, g := range groups {
		c.Rows = append(c.Rows, row(runs, g))
		if slices.Contains(g, first) {
			base := runs[c.Rows[len(c.Rows)-1].Run]
			c.BaselineWallSeconds, c.BaselineComputeSeconds = base.WallSeconds, base.ComputeSeconds
		}
	}
	c.fastest(runs)
	return c
}

// baselines maps each repeat to the index of its baseline run.
func baselines(runs []Run) map[int]int {
	bases := map[int]int{}
	for i, r := range runs {
		k, ok := bases[r.Repeat]
		if !ok || (r.Mode == "serial" && runs[k].Mode != "serial") {
			bases[r.Repeat] = i
		}
	}
	return bases
}

// row sums up the runs g of one mode at one worker count.
func row(runs []Run, g []int) ComparisonRow {
	byWall := slices.Clone(g)
	slices.SortStableFunc(byWall, func(a, b int) int { return cmp.Compare(runs[a].WallSeconds, runs[b].WallSeconds) })
	m := &runs[byWall[(len(byWall)-1)/2]]
	r := ComparisonRow{Run: byWall[(len(byWall)-1)/2], Mode: m.Mode, Workers: m.WorkerCount,
		WallSeconds: m.WallSeconds, TasksPerSecond: m.ThroughputPerSecond,
		SpawnSeconds: m.SpawnSeconds, Cost: *m.Cost}
	if len(g) < 2 {
		return r
	}
	var speedups, overheads []float64
	for _, i := range g {
		speedups = append(speedups, runs[i].Speedup)
		overheads = append(overheads, runs[i].OverheadPerTaskSeconds)
	}
	r.Repeats = len(g)
	r.WallMinSeconds, r.WallMaxSeconds = runs[byWall[0]].WallSeconds, runs[byWall[len(byWall)-1]].WallSeconds
	r.SpeedupMin, r.SpeedupMax = slices.Min(speedups), slices.Max(speedups)
	r.Speedup, r.OverheadPerTaskSeconds = median(speedups), median(overheads)
	r.Efficiency = r.Speedup / float64(max(r.Workers, 1))
	return r
}

// median returns the middle of xs, the mean of the two middles for an
// even count.
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// fastest marks the row of least wall time, and whether it is faster than
// every other row beyond noise. A run whose workers never started took no
// time and is not fast: its row is never the fastest, nor compared.
func (c *Comparison) fastest(runs []Run) {
	ran := func(i int) bool { return runs[c.Rows[i].Run].Error == "" }
	c.Fastest = slices.IndexFunc(c.Rows, func(r ComparisonRow) bool { return runs[r.Run].Error == "" })
	if c.Fastest < 0 {
		c.Fastest = 0 // no row ran: none is marked
		return
	}
	for i, r := range c.Rows {
		if ran(i) && r.WallSeconds < c.Rows[c.Fastest].WallSeconds {
			c.Fastest = i
		}
	}
	c.Rows[c.Fastest].Fastest = true
	c.FastestBeyondNoise = false
	for i := range c.Rows {
		if i == c.Fastest || !ran(i) {
			continue
		}
		c.FastestBeyondNoise = true
		if !c.Differ(i, c.Fastest) {
			c.FastestBeyondNoise = false
			break
		}
	}
}
