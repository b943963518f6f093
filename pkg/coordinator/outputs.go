package coordinator

import (
	"flag"
	"io"
	"path/filepath"
	"slices"
	"strings"
)

// observing is what -metrics, -trace and -timeline ask of a job's runs
// (observe.go), and, once begun, the observer they share.
type observing struct {
	metrics  string // -metrics: the address to serve /metrics on
	trace    string // -trace: the Chrome trace-event file
	timeline string // -timeline: the picture of the runs' tasks

	observer
}

// wanted reports whether any of the runs is to be observed.
func (o *observing) wanted() bool { return o.metrics != "" || o.trace != "" || o.timeline != "" }

// check refuses output files that cannot be written, as -report's is
// checked, before the first run.
func (o *observing) check(stdout io.Writer) error {
	for flag, name := range map[string]string{"-trace": o.trace, "-timeline": o.timeline} {
		if name == "-" {
			return usagef("%s -: give a file name; only -report writes to stdout", flag)
		}
	}
	if o.timeline != "" && !slices.Contains(plotFormats, strings.ToLower(filepath.Ext(o.timeline))) {
		return usagef("-timeline %s: want a file ending in %s", o.timeline, strings.Join(plotFormats, ", "))
	}
	if err := checkOutput("-trace", o.trace, stdout); err != nil {
		return err
	}
	return checkOutput("-timeline", o.timeline, stdout)
}

// barrierFlags defines -metrics and -trace on the barrier demo's flags.
func barrierFlags(fs *flag.FlagSet) *observing {
	o := &observing{}
	fs.StringVar(&o.metrics, "metrics", "", "serve Prometheus metrics at http://`ADDR`/metrics while the demo goes on; the releases are counted once the workers report them, at its end")
	fs.StringVar(&o.trace, "trace", "", "write each waiter's wait from every release to its wake as Chrome trace-event JSON to this file")
	return o
}

// summaryOut is where the summary goes: stdout, unless the report does.
func (c *config) summaryOut(stdout io.Writer) io.Writer {
	if c.report == "-" {
		return io.Discard
	}
	return stdout
}

// plotFormats are the file formats -plot and -timeline can draw, by
// extension.
var plotFormats = []string{".svg", ".png", ".pdf"}

// checkPlotFile refuses a -plot file whose format is unknown, before any
// run is made.
func checkPlotFile(name string) error {
	if name == "" || slices.Contains(plotFormats, strings.ToLower(filepath.Ext(name))) {
		return nil
	}
	return usagef("-plot %s: want a file ending in %s", name, strings.Join(plotFormats, ", "))
}
