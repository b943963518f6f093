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
	head := fmt.Sprintf("job %s: %d tasks%s, size %d, seed %d, %s, %d CPUs", rep.Job, rep.Tasks, warm, rep.Size, rep.Seed, workers, rep.Host.CPUs)
	if c.repeat > 1 {
		head += fmt.Sprintf(", every mode run %d times", c.repeat)
	}
	printWrapped(w, head, "  ")
	fmt.Fprintln(w)
	if rep.Comparison != nil {
		if n := busyNote(c.busy, rep.Host.CPUs); n != "" && len(rep.Runs) > 1 {
			printWrapped(w, n, "  ")
			fmt.Fprintln(w)
		}
		printComparison(w, rep.Comparison, rep.Runs, c.wide)
		if v := verdict(rep.Comparison, c.sweep); v != nil {
			fmt.Fprintf(w, "\n%s\n", strings.Join(v, "\n"))
		}
	}
	if len(c.sweep) == 0 {
		fmt.Fprintln(w)
		for _, r := range rep.Runs {
			if r.Mode == modeSerial || r.Repeat > 1 {
				continue
			}
			if r.Error != "" {
				continue
			}
			printWrapped(w, tasksPerWorker(r), "  ")
		}
		fmt.Fprintln(w)
	}
	for _, r := range rep.Runs {
		if r.Error != "" {
			printWrapped(w, fmt.Sprintf("%s, %d workers: no task ran: %s", r.Mode, r.WorkerCount, r.Error), "  ")
		}
	}
	if c.lastCol != nil {
		c.lastCol.describe(w, rep.Job)
	}
}

// tasksPerWorker says how many tasks each worker of r ran, and in which
// process: goroutine workers share the coordinator's pid, which is said
// once.
func tasksPerWorker(r report.Run) string {
	var per []string
	shared := len(r.Workers) > 0
	for _, wk := range r.Workers {
		shared = shared && wk.PID == r.Workers[0].PID
	}
	for _, wk := range r.Workers {
		if shared {
			per = append(per, fmt.Sprintf("#%d: %d", wk.ID, wk.Tasks))
		} else {
			per = append(per, fmt.Sprintf("#%d pid %d: %d", wk.ID, wk.PID, wk.Tasks))
		}
	}
	if shared && len(r.Workers) > 1 {
		return fmt.Sprintf("%s tasks per worker, all in pid %d: %s", r.Mode, r.Workers[0].PID, strings.Join(per, ", "))
	}
	return fmt.Sprintf("%s tasks per worker: %s", r.Mode, strings.Join(per, ", "))
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
// many tasks were cancelled. The tasks a stop cancelled did not fail, and
// the outputs of a run that did not complete are not the job's answer:
// each is said so.
func (c *collector) describe(w io.Writer, job string) {
	t := c.totals()
	failed := t.failed - t.cancelled
	if !c.notInts.Load() && t.ok > 0 {
		if t.failed == 0 {
			fmt.Fprintf(w, "%s: the outputs sum to %d\n", job, t.sum)
		} else {
			printWrapped(w, fmt.Sprintf("%s: the outputs of the %d tasks that succeeded sum to %d, which is not the job's answer: %d of its %d tasks did not complete",
				job, t.ok, t.sum, t.failed, t.ok+t.failed), "  ")
		}
	}
	c.mu.Lock()
	f := c.firstFail
	c.mu.Unlock()
	if f != nil && failed > 0 {
		printWrapped(w, fmt.Sprintf("%d %s failed; the first, task %d (worker %d, pid %d): %s: %s",
			failed, plural(int(failed), "task", "tasks"), f.Task, f.Worker, f.PID, f.Status, f.Error.Message), "  ")
	}
	switch {
	case c.startFailed.Load():
		fmt.Fprintf(w, "%d tasks never ran: the workers could not be started\n", t.notStarted)
	case t.cancelled > 0:
		printWrapped(w, fmt.Sprintf("%d tasks cancelled as the run stopped, %d of them before they were handed to the workers",
			t.cancelled, t.notStarted), "  ")
	}
}
