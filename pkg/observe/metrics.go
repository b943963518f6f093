package observe

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Prometheus metrics of the runs an Observer watches. A
// *Metrics is a prometheus.Collector: register it on the registry your
// program serves,
//
//	m := observe.NewMetrics()
//	reg.MustRegister(m)
//
// and pass it in an Observer. Every metric has a mode label, the run's mode
// (process, thread, thread-gil...); brine_tasks_completed_total has a status
// label too: ok, or the kind of the task's failure (error, panic, timeout,
// worker_died, cancelled...). All of them are safe for concurrent use.
type Metrics struct {
	tasks    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	workers  *prometheus.GaugeVec
	restarts *prometheus.CounterVec
	retries  *prometheus.CounterVec
	sent     *prometheus.CounterVec
	received *prometheus.CounterVec
	barrier  *prometheus.HistogramVec
}

// NewMetrics returns the metrics, at zero, for one registry.
func NewMetrics() *Metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	return &Metrics{
		tasks: counter("brine_tasks_completed_total", "Tasks whose result the coordinator received, by mode and status (ok or the failure's kind).", "mode", "status"),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "brine_task_duration_seconds", Help: "How long each task's function ran (pool.Result.Compute), by mode.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 4, 13), // 1µs to 17s
		}, []string{"mode"}),
		workers:  prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "brine_workers", Help: "Workers of the run going on, by mode; 0 once it ended."}, []string{"mode"}),
		restarts: counter("brine_worker_restarts_total", "Worker processes replaced (after a death, a timeout, or recycling), by mode.", "mode"),
		retries:  counter("brine_retries_total", "Tasks sent again after a worker died holding them: each result's attempts beyond the first, by mode.", "mode"),
		sent:     counter("brine_bytes_sent_total", "Bytes of the task frames sent to workers (pool.Stats.TaskBytes), by mode; 0 for modes that serialize nothing.", "mode"),
		received: counter("brine_bytes_received_total", "Bytes of the result frames received from workers (pool.Stats.ResultBytes), by mode.", "mode"),
		barrier: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "brine_barrier_release_seconds", Help: "Latency of each barrier release, from the releaser's arrival to the last waiter awake, by mode.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 2, 22), // 1µs to 2s
		}, []string{"mode"}),
	}
}

func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.tasks, m.duration, m.workers, m.restarts, m.retries, m.sent, m.received, m.barrier}
}

// Describe sends the descriptions of every metric, for prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.collectors() {
		c.Describe(ch)
	}
}

// Collect sends the current value of every metric, for prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.collectors() {
		c.Collect(ch)
	}
}

// BarrierRelease counts one release of a barrier whose last waiter woke
// latency after the releaser arrived.
func (m *Metrics) BarrierRelease(mode string, latency time.Duration) {
	m.barrier.WithLabelValues(mode).Observe(latency.Seconds())
}

// runMetrics are the metrics of one run, its mode's children looked up
// once: a result's counting then costs a few atomic additions.
type runMetrics struct {
	m              *Metrics
	mode           string
	ok             prometheus.Counter
	duration       prometheus.Observer
	retries        prometheus.Counter
	restarts       prometheus.Counter
	sent, received prometheus.Counter
	workers        prometheus.Gauge
}

func (m *Metrics) forRun(mode string) *runMetrics {
	return &runMetrics{
		m: m, mode: mode,
		ok:       m.tasks.WithLabelValues(mode, StatusOK),
		duration: m.duration.WithLabelValues(mode),
		retries:  m.retries.WithLabelValues(mode),
		restarts: m.restarts.WithLabelValues(mode),
		sent:     m.sent.WithLabelValues(mode),
		received: m.received.WithLabelValues(mode),
		workers:  m.workers.WithLabelValues(mode),
	}
}

// task counts one result.
func (rm *runMetrics) task(status string, compute time.Duration, attempts int) {
	if status == StatusOK {
		rm.ok.Inc()
	} else {
		rm.m.tasks.WithLabelValues(rm.mode, status).Inc()
	}
	rm.duration.Observe(compute.Seconds())
	if attempts > 1 {
		rm.retries.Add(float64(attempts - 1))
	}
}
