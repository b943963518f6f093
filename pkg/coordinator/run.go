package coordinator

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/report"
	"github.com/brinehq/brine/pkg/task"
)

var lookPath = exec.LookPath

// Version is brine's version, reported in every report.
var Version = "0.1.0"

// runJob runs the job the command line describes, in each of its modes. It
// reports whether any task failed.
func runJob(ctx context.Context, args []string, stdout, stderr io.Writer) (bool, error) {
	c, err := parseRun(args, stderr)
	if err != nil {
		return false, err
	}
	log := newLogger(stderr, c.logLevel)
	build, err := c.job.Calls(c.params)
	if err != nil {
		return false, usagef("%v", err)
	}
	rep := c.newReport()
	var failed bool
	for _, mode := range c.modes {
		run, results, err := c.runMode(ctx, mode, build, log, stderr)
		if err != nil {
			return false, err
		}
		if rep.Results == nil {
			rep.Results = results
			rep.Digest = run.Digest
		}
		rep.Runs = append(rep.Runs, run)
		failed = failed || run.TasksFailed > 0
		if ctx.Err() != nil {
			break
		}
	}
	if err := c.output(rep, stdout, stderr); err != nil {
		return failed, err
	}
	return failed, ctx.Err()
}

func (c *config) newReport() *report.Report {
	host, _ := os.Hostname()
	return &report.Report{
		Schema: report.Schema, Job: c.job.Name, Tasks: c.params.Tasks, Size: c.params.Size,
		Seed: c.params.Seed, Workers: c.workers,
		Host: report.Host{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Brine: Version,
			Hostname: host, Started: time.Now().UTC()},
	}
}

// runMode runs the job once in mode and returns its run record and, when a
// report was asked for, its results ordered by task id.
func (c *config) runMode(ctx context.Context, mode string, build func(int) task.Call, log zerolog.Logger, stderr io.Writer) (report.Run, []report.Result, error) {
	opts, err := c.poolOptions(mode, log)
	if err != nil {
		return report.Run{}, nil, err
	}
	spawnStart := time.Now()
	p, err := pool.New(ctx, pool.WithOptions(opts))
	if err != nil {
		return report.Run{}, nil, err
	}
	spawn := time.Since(spawnStart)
	col := newCollector(c.params.Tasks, c.report != "")
	c.lastCol = col
	bar := startProgress(stderr, c.params.Tasks, col, c.noProgress)
	start := time.Now()
	runErr := p.Run(ctx, c.params.Tasks, build, col.add)
	wall := time.Since(start)
	bar.stop()
	workers := p.Workers()
	if err := p.Close(); err != nil {
		log.Warn().Err(err).Msg("closing the pool")
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return report.Run{}, nil, runErr
	}
	run := col.run(mode, wall, spawn, workers)
	return run, col.results, nil
}

func (c *config) poolOptions(mode string, log zerolog.Logger) (pool.Options, error) {
	o := pool.Options{
		Workers: c.workers, Batch: c.batch, Retries: c.retries, GIL: c.gil,
		HandshakeTimeout: c.handshake, Grace: c.grace, Logger: log, LogLevel: c.logLevel,
		TaskTimeout: c.taskTimeout, MaxTasksPerWorker: c.maxTasks,
	}
	switch mode {
	case "thread":
		o.Mode = pool.Thread
	case "process":
		path, err := c.workerCommand()
		if err != nil {
			return o, err
		}
		o.Mode, o.Command = pool.Process, []string{path}
	}
	return o, nil
}

// output writes the report where -report says, and the summary to stdout,
// or to stderr when stdout carries the report.
func (c *config) output(rep *report.Report, stdout, stderr io.Writer) error {
	summary := stdout
	switch c.report {
	case "":
	case "-":
		summary = io.Discard
		if err := report.Write(stdout, rep); err != nil {
			return err
		}
	default:
		f, err := os.Create(c.report)
		if err != nil {
			return err
		}
		if err := report.Write(f, rep); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	printSummary(summary, rep, c)
	return nil
}
