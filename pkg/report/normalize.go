package report

// Normalize zeroes, in place, every field of r that varies between correct
// runs of the same command line: timings, throughputs, pids, each worker's
// task count, each result's worker, pid and attempts, error messages and
// stacks, the host and the barrier measurements; it drops each run's Cost
// and the comparison. What is left is what the command line determines, so
// two normalized reports of one command line are equal: golden tests
// compare them byte for byte.
func (r *Report) Normalize() {
	for i := range r.Results {
		res := &r.Results[i]
		res.Worker, res.PID, res.Attempts = 0, 0, 0
		if res.Error != nil {
			res.Error.Message, res.Error.Stack = "", ""
		}
	}
	for i := range r.Runs {
		run := &r.Runs[i]
		run.WallSeconds, run.SpawnSeconds, run.ThroughputPerSecond = 0, 0, 0
		run.Retries, run.WorkerRestarts = 0, 0
		run.Cost = nil
		for j := range run.Workers {
			run.Workers[j].PID, run.Workers[j].Tasks = 0, 0
		}
	}
	if b := r.Barrier; b != nil {
		b.LatencyUS, b.SkewUS = Quantiles{}, Quantiles{}
		for j := range b.Records {
			b.Records[j] = RoundRecord{Round: b.Records[j].Round}
		}
	}
	r.Host = Host{}
	r.Comparison = nil
}
