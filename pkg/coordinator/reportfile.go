package coordinator

import (
	"fmt"
	"io"
	"iter"
	"os"
	"runtime"
	"time"

	"github.com/brinehq/brine/pkg/report"
)

// newReport starts a report of a run of job, with the host facts filled in.
func newReport(job string, tasks int, size, seed int64, workers int) *report.Report {
	host, _ := os.Hostname()
	return &report.Report{
		Schema: report.Schema, Job: job, Tasks: tasks, Size: size, Seed: seed, Workers: workers,
		Host: report.Host{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Brine: Version,
			Hostname: host, Started: time.Now().UTC()},
	}
}

// writeReport writes rep, with what results yields as its results,
// to the file name, to stdout for "-", or nowhere for "". A file is
// replaced whole or not at all (see writeFile). An error names where the
// report was going.
func writeReport(name string, rep *report.Report, results iter.Seq[*report.Result], stdout io.Writer) error {
	if results == nil {
		results = report.Each()
	}
	write := func(w io.Writer) error { return report.WriteSeq(w, rep, results) }
	switch name {
	case "":
		return nil
	case "-":
		if err := write(stdout); err != nil {
			return fmt.Errorf("-: writing to stdout: %w", unwrapPath(err))
		}
		return nil
	}
	return writeFile(name, write)
}
