package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Cancelled counts the tasks a stopped run never started, as ranges of
// task ids rather than a result each: a run of a billion tasks stopped
// after a second lists its unstarted tasks in a few bytes.
type Cancelled struct {
	Tasks int `json:"tasks"`
	// Ranges are the first and last ids of runs of cancelled tasks, in
	// order and disjoint; their lengths add up to Tasks.
	Ranges [][2]int `json:"ranges"`
}

// Contains reports whether task is in one of c's ranges. A nil c has none.
func (c *Cancelled) Contains(task int) bool {
	if c == nil {
		return false
	}
	i, _ := slices.BinarySearchFunc(c.Ranges, task, func(r [2]int, t int) int { return cmp.Compare(r[1], t) })
	return i < len(c.Ranges) && c.Ranges[i][0] <= task && task <= c.Ranges[i][1]
}

// spans returns the task ids of the results, sorted, and the cancelled
// ranges as spans of ids, sorted by their first. A range whose first is
// past its last is left out: checkCancelled reports it.
func spans(sorted []int, c *Cancelled) [][2]int {
	out := make([][2]int, 0, len(sorted)+len(c.ranges()))
	for _, id := range sorted {
		out = append(out, [2]int{id, id})
	}
	for _, rg := range c.ranges() {
		if rg[0] <= rg[1] {
			out = append(out, rg)
		}
	}
	if c != nil {
		slices.SortStableFunc(out, func(a, b [2]int) int { return cmp.Compare(a[0], b[0]) })
	}
	return out
}

func (c *Cancelled) ranges() [][2]int {
	if c == nil {
		return nil
	}
	return c.Ranges
}

// stopped reports whether r is of a run that was stopped: it lists
// cancelled tasks or counts them.
func stopped(r *Report) bool {
	if r.Cancelled != nil {
		return true
	}
	for _, run := range r.Runs {
		if run.TasksCancelled > 0 {
			return true
		}
	}
	return false
}

// checkCancelled checks the cancelled ranges, and that the cancelled tasks
// add up: those listed and the results of status cancelled are the first
// run's tasks_cancelled, the run the results are from.
func checkCancelled(r *Report) (bool, string) {
	var problems lister
	c := r.Cancelled
	if c == nil {
		c = &Cancelled{}
	}
	listed := 0
	for k, rg := range c.Ranges {
		switch {
		case rg[0] > rg[1]:
			problems.add("range %d, %d-%d, ends before it starts", k, rg[0], rg[1])
		case k > 0 && rg[0] <= c.Ranges[k-1][1]:
			problems.add("range %d, %s, does not come after range %d, %s", k, span(rg[0], rg[1]), k-1, span(c.Ranges[k-1][0], c.Ranges[k-1][1]))
		default:
			listed += rg[1] - rg[0] + 1
		}
	}
	if len(problems) == 0 && listed != c.Tasks {
		problems.add("the ranges hold %d tasks, but cancelled.tasks says %d", listed, c.Tasks)
	}
	withResult := 0
	for _, res := range r.Results {
		if res.Status == "cancelled" {
			withResult++
		}
	}
	if len(r.Runs) > 0 && withResult+c.Tasks != r.Runs[0].TasksCancelled {
		problems.add("%d results cancelled + %d listed cancelled, but the run (%s) counts %d cancelled",
			withResult, c.Tasks, r.Runs[0].Mode, r.Runs[0].TasksCancelled)
	}
	if len(problems) > 0 {
		return false, strings.Join(problems, "; ")
	}
	return true, fmt.Sprintf("%d tasks cancelled: %d results cancelled and %d listed, as the run counts",
		withResult+c.Tasks, withResult, c.Tasks)
}
