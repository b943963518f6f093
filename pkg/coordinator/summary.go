package coordinator

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/brinehq/brine/pkg/report"
)

// printSummary prints the human summary of a job run: the comparison
// table, how each run spread its tasks, and what the outputs add up to.
func printSummary(w io.Writer, rep *report.Report, c *config) {
	workers := fmt.Sprintf("%d workers", rep.Workers)
	if len(c.sweep) > 0 {
		workers = "workers " + joinInts(c.sweep, ",")
	}
	warm := ""
	if c.warmup > 0 && rep.Tasks > 0 {
		warm = fmt.Sprintf(", each pool warmed with %d of them first", min(c.warmup, rep.Tasks))
	}
	fmt.Fprintf(w, "job %s: %d tasks%s, size %d, seed %d, %s, %d CPUs\n\n", rep.Job, rep.Tasks, warm, rep.Size, rep.Seed, workers, rep.Host.CPUs)
	if rep.Comparison != nil {
		printComparison(w, rep.Comparison, rep.Runs)
	}
	if len(c.sweep) == 0 {
		for _, r := range rep.Runs {
			if r.Mode == modeSerial {
				continue
			}
			if r.Error != "" {
				continue
			}
			var per []string
			for _, wk := range r.Workers {
				per = append(per, fmt.Sprintf("#%d pid %d: %d", wk.ID, wk.PID, wk.Tasks))
			}
			fmt.Fprintf(w, "\n%s tasks per worker: %s", r.Mode, strings.Join(per, ", "))
		}
		fmt.Fprintln(w)
	}
	for _, r := range rep.Runs {
		if r.Error != "" {
			fmt.Fprintf(w, "%s, %d workers: no task ran: %s\n", r.Mode, r.WorkerCount, r.Error)
		}
	}
	if c.lastCol != nil {
		c.lastCol.describe(w, rep.Job)
	}
}

func joinInts(ns []int, sep string) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, sep)
}

func round(sec float64) string {
	d := time.Duration(sec * float64(time.Second))
	switch a := max(d, -d); {
	case a >= time.Second:
		return d.Round(time.Millisecond).String()
	case a >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// describe prints what the outputs add up to, the first failure and how
// many tasks were cancelled.
func (c *collector) describe(w io.Writer, job string) {
	t := c.totals()
	if !c.notInts.Load() && t.ok > 0 {
		fmt.Fprintf(w, "%s: the outputs sum to %d\n", job, t.sum)
	}
	c.mu.Lock()
	f := c.firstFail
	c.mu.Unlock()
	if f != nil {
		fmt.Fprintf(w, "%d tasks failed; the first, task %d (worker %d, pid %d): %s: %s\n",
			t.failed, f.Task, f.Worker, f.PID, f.Status, f.Error.Message)
	}
	switch {
	case c.startFailed.Load():
		fmt.Fprintf(w, "%d tasks never ran: the workers could not be started\n", t.notStarted)
	case t.cancelled > 0:
		fmt.Fprintf(w, "%d tasks cancelled as the run stopped, %d of them before they were handed to the workers\n",
			t.cancelled, t.notStarted)
	}
}
