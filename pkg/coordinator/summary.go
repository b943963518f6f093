package coordinator

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/brinehq/brine/pkg/report"
)

// printSummary prints the human summary of a job run.
func printSummary(w io.Writer, rep *report.Report, c *config) {
	fmt.Fprintf(w, "job %s: %d tasks, size %d, seed %d, %d workers\n\n", rep.Job, rep.Tasks, rep.Size, rep.Seed, rep.Workers)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tworkers\twall\ttasks/s\tok\tfailed\tretries\trestarts\tstart-up\t")
	for _, r := range rep.Runs {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.0f\t%d\t%d\t%d\t%d\t%s\t\n", r.Mode, r.WorkerCount,
			round(r.WallSeconds), r.ThroughputPerSecond, r.TasksOK, r.TasksFailed, r.Retries, r.WorkerRestarts, round(r.SpawnSeconds))
	}
	tw.Flush()
	for _, r := range rep.Runs {
		var per []string
		for _, wk := range r.Workers {
			per = append(per, fmt.Sprintf("#%d pid %d: %d", wk.ID, wk.PID, wk.Tasks))
		}
		fmt.Fprintf(w, "\n%s tasks per worker: %s\n", r.Mode, strings.Join(per, ", "))
	}
	if c.lastCol != nil {
		c.lastCol.describe(w, rep.Job)
	}
}

func round(sec float64) string {
	d := time.Duration(sec * float64(time.Second))
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// describe prints what the outputs add up to and the first failure.
func (c *collector) describe(w io.Writer, job string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.allInts && c.ok.Load() > 0 {
		fmt.Fprintf(w, "%s: the outputs sum to %d\n", job, c.sum)
	}
	if f := c.firstFail; f != nil {
		fmt.Fprintf(w, "%d tasks failed; the first, task %d (worker %d, pid %d): %s: %s\n",
			c.failed.Load(), f.Task, f.Worker, f.PID, f.Status, f.Error.Message)
	}
}
