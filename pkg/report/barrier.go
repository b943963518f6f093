package report

// Barrier is what a barrier or condition-variable run measured: for each
// round, how long after the release its waiters woke. Latency is from the
// release (the last arrival at a barrier, or Broadcast) to the last waiter
// awake; skew is from the first waiter awake to the last.
type Barrier struct {
	Kind      string        `json:"kind,omitempty"` // "barrier" or "cond"
	Workers   int           `json:"workers"`        // waiters per round
	Rounds    int           `json:"rounds"`
	SpinUS    float64       `json:"spin_us,omitempty"` // waiters spun up to this long before sleeping
	LatencyUS Quantiles     `json:"latency_us"`
	SkewUS    Quantiles     `json:"skew_us"`
	Records   []RoundRecord `json:"round_records"`
}

// Quantiles summarises a measurement over rounds, in microseconds.
type Quantiles struct {
	Median float64 `json:"median"`
	P99    float64 `json:"p99"`
}

// RoundRecord is one round of a barrier or condition-variable run.
type RoundRecord struct {
	Round     int     `json:"round"`
	LatencyUS float64 `json:"latency_us"`
	SkewUS    float64 `json:"skew_us"`
	// WakeUS holds, by worker id, the microseconds from the release to each
	// waiter's wake; nil when only the extremes were recorded.
	WakeUS []float64 `json:"wake_us,omitempty"`
}
