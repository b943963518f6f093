package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/brinehq/brine/pkg/jobs"
)

// Slower tasks: the coordinator's CPU-bound and sleeping jobs at their
// default sizes, run with automatic batching (the default) and with one
// task per frame (-batch 1) in the same repetition. The adaptive batch
// rule is tuned on trivial tasks; these figures show whether it loses
// anything once each task takes a while. They have no target.

// slowJob is a job of the slower-task figures.
type slowJob struct {
	name   string
	each   string // one task's work, %s its default size
	thread bool   // also measured in thread mode, a second anchor
}

var slowJobs = []slowJob{
	{"primes", "trial division of %s numbers", true},
	{"hash", "%s SHA-256 rounds", false},
	{"sleep", "a %s ms sleep", false},
}

func slowKey(job, variant string) string { return "brine.slow." + job + "." + variant }

// defaultSize is a built-in job's default -size. The jobs of slowJobs are
// built in; any other name is a mistake in this file.
func defaultSize(job string) int64 {
	j, err := jobs.Lookup(job)
	if err != nil {
		panic(err)
	}
	return j.Size
}

// slowProbes measures each slower job with automatic batching, then with
// -batch 1 (and in thread mode) right after it, on pools warmed as the
// echo figures' are.
func (d *driver) slowProbes() []probe {
	var ps []probe
	for _, j := range slowJobs {
		n := d.cfg.slowTasks[j.name]
		flags := []string{"-size", strconv.FormatInt(defaultSize(j.name), 10), "-warmup", strconv.Itoa(poolWarmup)}
		ps = append(ps,
			d.jobProbe(slowKey(j.name, "auto"), j.name, n, flags...),
			d.jobProbe(slowKey(j.name, "b1"), j.name, n, slices.Concat(flags, []string{"-batch", "1"})...))
		if j.thread {
			ps = append(ps, d.jobProbe(slowKey(j.name, "thread"), j.name, n, slices.Concat(flags, []string{"-mode", "thread"})...))
		}
	}
	return ps
}

// slowSection sets each slower job's automatic batching beside its one
// task per frame, and primes beside thread mode.
func slowSection(c config) section {
	sec := section{title: fmt.Sprintf("slower tasks, 2 workers, each job at its default size: tasks/s, automatic batching "+
		"against one task per frame (coordinator CLI -warmup %d; no target)", poolWarmup)}
	for _, j := range slowJobs {
		name := fmt.Sprintf("%s × %s (%s each), automatic batching", j.name, thousands(c.slowTasks[j.name]),
			fmt.Sprintf(j.each, thousands(int(defaultSize(j.name)))))
		sec.figures = append(sec.figures, figure{name: name, key: slowKey(j.name, "auto"), unit: perSecond,
			anchorName: "the same, one task per frame (-batch 1)", anchor: slowKey(j.name, "b1")})
		if j.thread {
			sec.figures = append(sec.figures, figure{name: name, key: slowKey(j.name, "auto"), unit: perSecond,
				anchorName: "the same in thread mode (-mode thread)", anchor: slowKey(j.name, "thread")})
		}
	}
	return sec
}

// slowMethods lists each slower job's count and size, for the methods.
func slowMethods(c config) string {
	var parts []string
	for _, j := range slowJobs {
		parts = append(parts, fmt.Sprintf("%s × %s at size %s", j.name, thousands(c.slowTasks[j.name]), thousands(int(defaultSize(j.name)))))
	}
	return strings.Join(parts, ", ")
}
