package report

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
// the coordinator's comparison table.
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
	// IdenticalOutputs is true when every run has the same Digest.
	IdenticalOutputs bool `json:"identical_outputs"`
	// Fastest is the index in Rows of the run with the least wall time.
	Fastest int             `json:"fastest"`
	Rows    []ComparisonRow `json:"rows"`
}

// ComparisonRow is one run in a Comparison.
type ComparisonRow struct {
	Run            int     `json:"run"` // index in Report.Runs
	Mode           string  `json:"mode"`
	Workers        int     `json:"workers"`
	WallSeconds    float64 `json:"wall_seconds"`
	TasksPerSecond float64 `json:"tasks_per_second"`
	SpawnSeconds   float64 `json:"spawn_seconds"`
	Fastest        bool    `json:"fastest"`
	Cost
}

// Compare derives each run's Speedup, Efficiency and OverheadPerTaskSeconds
// against the baseline (the first run whose mode is "serial", else the first
// run), writing them into the runs' Cost, and returns the comparison of the
// runs. A run without a Cost gets one. It returns nil for no runs.
func Compare(runs []Run, cpus int) *Comparison {
	if len(runs) == 0 {
		return nil
	}
	base := 0
	for i := range runs {
		if runs[i].Mode == "serial" {
			base = i
			break
		}
	}
	for i := range runs {
		if runs[i].Cost == nil {
			runs[i].Cost = &Cost{}
		}
	}
	b := &runs[base]
	c := &Comparison{Baseline: b.Mode, BaselineWallSeconds: b.WallSeconds,
		BaselineComputeSeconds: b.ComputeSeconds, CPUs: cpus, IdenticalOutputs: true}
	for i := range runs {
		r := &runs[i]
		r.Speedup, r.Efficiency, r.OverheadPerTaskSeconds = 0, 0, 0
		if r.WallSeconds > 0 {
			r.Speedup = b.WallSeconds / r.WallSeconds
			r.Efficiency = r.Speedup / float64(max(r.WorkerCount, 1))
		}
		if tasks := r.TasksOK + r.TasksFailed; tasks > 0 {
			busy := float64(max(r.WorkerCount, 1)) * r.WallSeconds
			r.OverheadPerTaskSeconds = (busy - b.ComputeSeconds) / float64(tasks)
		}
		if r.Digest != b.Digest {
			c.IdenticalOutputs = false
		}
		if f := &runs[c.Fastest]; r.Error == "" && (f.Error != "" || r.WallSeconds < f.WallSeconds) {
			c.Fastest = i // a run whose workers never started is not fast
		}
		c.Rows = append(c.Rows, ComparisonRow{Run: i, Mode: r.Mode, Workers: r.WorkerCount,
			WallSeconds: r.WallSeconds, TasksPerSecond: r.ThroughputPerSecond,
			SpawnSeconds: r.SpawnSeconds, Cost: *r.Cost})
	}
	c.Rows[c.Fastest].Fastest = runs[c.Fastest].Error == ""
	return c
}
