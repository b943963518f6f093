//go:build lean

package coordinator

import (
	"io"

	"github.com/brinehq/brine/pkg/report"
	"github.com/brinehq/brine/pkg/transport"
)

// leanBuild tells a lean build (build.go) from a full one. What follows
// stands in for the full build's observe.go, plot.go and transports.go; a
// run that would reach them is handed to the full build when its flags are
// parsed, so they only refuse.
const leanBuild = true

type observer struct{}

// watch observes nothing in a lean build.
type watch struct{}

func (o *observing) begin(stdout, _ io.Writer) error {
	if err := o.check(stdout); err != nil || !o.wanted() {
		return err
	}
	return needsFull("-metrics, -trace or -timeline")
}

func (o *observing) close()                                      {}
func (o *observing) start(string, any) *watch                    { return nil }
func (w *watch) segments(col *collector) func(first, n int) sink { return col.segment }
func (w *watch) end()                                            {}
func (o *observing) write(*report.Report, io.Writer) error       { return nil }
func (o *observing) barrier(string) func([]int64, [][]int64)     { return nil }
func drawSpeedup(string, *report.Report) error                   { return needsFull("-plot") }
func pluginTransport([]string) (transport.Transport, error) {
	return nil, needsFull("-transport plugin")
}
func (c *config) natsTransport(int, []string) (transport.Transport, int, error) {
	return nil, 0, needsFull("-transport nats")
}
