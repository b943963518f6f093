//go:build !lean

package coordinator

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/brinehq/brine/pkg/observe"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/report"
)

// observer is the observer that -metrics, -trace and -timeline share once
// begun. With none of the flags set obs is nil and the runs' results reach
// the collector as they would without this file.
type observer struct {
	obs    *observe.Observer
	server *metricsServer
}

// begin checks the output files, as -report's is checked, and starts the
// metrics server, before the first run.
func (o *observing) begin(stdout, stderr io.Writer) error {
	if err := o.check(stdout); err != nil || !o.wanted() {
		return err
	}
	o.obs = &observe.Observer{}
	if o.trace != "" || o.timeline != "" {
		o.obs.Trace = observe.NewTrace()
	}
	if o.metrics != "" {
		o.obs.Metrics = observe.NewMetrics()
		var err error
		if o.server, err = serveMetrics(o.metrics, o.obs.Metrics, stderr); err != nil {
			return err
		}
	}
	return nil
}

// close stops the metrics server. It may be called when begin failed.
func (o *observing) close() {
	if o.server != nil {
		o.server.close()
	}
}

// watch is one run's observation; a nil *watch observes nothing.
type watch struct{ run *observe.Run }

// start begins observing a run in mode on src (nil for the serial run).
func (o *observing) start(mode string, src observe.Source) *watch {
	if o.obs == nil {
		return nil
	}
	return &watch{run: o.obs.Start(mode, src)}
}

// segments is col.segment, with each result observed after the collector
// has it.
func (w *watch) segments(col *collector) func(first, n int) sink {
	if w == nil {
		return col.segment
	}
	return func(first, n int) sink {
		results := col.segment(first, n)
		observe := func(r pool.Result) {
			r.Index += first
			w.run.Observe(r)
		}
		return sink{
			one: func(r pool.Result) {
				results.one(r)
				observe(r)
			},
			many: func(rs []pool.Result) {
				results.many(rs)
				for _, r := range rs {
					observe(r)
				}
			},
		}
	}
}

func (w *watch) end() {
	if w != nil {
		w.run.End()
	}
}

// write writes the trace and the timeline, saying where on summary.
func (o *observing) write(rep *report.Report, summary io.Writer) error {
	if o.obs == nil || o.obs.Trace == nil {
		return nil
	}
	t := o.obs.Trace
	if o.trace != "" {
		if err := writeFile(o.trace, func(w io.Writer) error { _, err := t.WriteTo(w); return err }); err != nil {
			return failedOutput("-trace", err)
		}
		fmt.Fprintf(summary, "trace: %s (open it in ui.perfetto.dev or chrome://tracing)\n", o.trace)
	}
	if o.timeline != "" {
		title := fmt.Sprintf("brine: job %s, %d tasks, size %d", rep.Job, rep.Tasks, rep.Size)
		format := strings.ToLower(filepath.Ext(o.timeline))[1:]
		err := writeFile(o.timeline, func(w io.Writer) error { return observe.WriteTimeline(w, format, t, title) })
		if err != nil {
			return failedOutput("-timeline", err)
		}
		fmt.Fprintf(summary, "timeline: %s\n", o.timeline)
	}
	if n := t.Dropped(); n > 0 {
		fmt.Fprintf(summary, "(the trace keeps the first %d tasks; %d more were counted but not drawn)\n", observe.MaxSpans, n)
	}
	return nil
}

// metricsServer serves /metrics while the runs go on.
type metricsServer struct {
	srv *http.Server
	wg  sync.WaitGroup
}

// serveMetrics serves m, with the Go runtime's and the process's
// metrics, at http://addr/metrics. An address that cannot be listened on
// is the command line's to fix.
func serveMetrics(addr string, m *observe.Metrics, stderr io.Writer) (*metricsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, usagef("-metrics %s: %v: give a free host:port, like 127.0.0.1:9464", addr, err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(m, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	s := &metricsServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	s.wg.Go(func() { s.srv.Serve(ln) })
	fmt.Fprintf(stderr, "coordinator: serving metrics at http://%s/metrics\n", ln.Addr())
	return s, nil
}

// close stops the server, giving a scrape under way a second to finish.
func (s *metricsServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if s.srv.Shutdown(ctx) != nil {
		s.srv.Close()
	}
	s.wg.Wait()
}

// barrier returns what takes the barrier demo's release and wake times
// (cond.Now readings, by round and by waiter and round), or nil when
// nothing is observed.
func (o *observing) barrier(mode string) func(t0s []int64, wakes [][]int64) {
	if o.obs == nil {
		return nil
	}
	return func(t0s []int64, wakes [][]int64) {
		if t := o.obs.Trace; t != nil {
			t.BarrierRounds(mode, t0s, wakes)
		}
		m := o.obs.Metrics
		if m == nil {
			return
		}
		for r, t0 := range t0s {
			last := t0
			for _, w := range wakes {
				if r < len(w) {
					last = max(last, w[r])
				}
			}
			m.BarrierRelease(mode, time.Duration(last-t0))
		}
	}
}
