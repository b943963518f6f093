package coordinator

import (
	"fmt"
	"image/color"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/brinehq/brine/pkg/report"
)

// plotFormats are the file formats -plot can draw, by extension.
var plotFormats = []string{".svg", ".png", ".pdf"}

// checkPlotFile refuses a -plot file whose format is unknown, before any
// run is made.
func checkPlotFile(name string) error {
	if name == "" || slices.Contains(plotFormats, strings.ToLower(filepath.Ext(name))) {
		return nil
	}
	return usagef("-plot %s: want a file ending in %s", name, strings.Join(plotFormats, ", "))
}

// speedups are the points of a speedup plot: each mode's speedup by worker
// count, serial left out (it is the baseline, 1 at one worker).
type speedups struct {
	modes  []string // in the order of their first run
	points map[string]plotter.XYs
	counts []int   // the worker counts, sorted
	top    float64 // the highest speedup or worker count: the y range
}

func collectSpeedups(cmp *report.Comparison) speedups {
	s := speedups{points: map[string]plotter.XYs{}}
	for _, r := range cmp.Rows {
		if r.Mode == modeSerial {
			continue
		}
		if _, ok := s.points[r.Mode]; !ok {
			s.modes = append(s.modes, r.Mode)
		}
		s.points[r.Mode] = append(s.points[r.Mode], plotter.XY{X: float64(r.Workers), Y: r.Speedup})
		if !slices.Contains(s.counts, r.Workers) {
			s.counts = append(s.counts, r.Workers)
		}
		s.top = max(s.top, r.Speedup, float64(r.Workers))
	}
	slices.Sort(s.counts)
	for _, pts := range s.points {
		slices.SortFunc(pts, func(a, b plotter.XY) int { return int(a.X - b.X) })
	}
	return s
}

// drawSpeedup draws the speedup of each mode against the number of workers,
// from the report's comparison, beside the ideal speedup (one per worker)
// and a mark at the number of CPUs, and saves it to name.
func drawSpeedup(name string, rep *report.Report) error {
	cmp := rep.Comparison
	s := collectSpeedups(cmp)
	if len(s.counts) == 0 {
		return fmt.Errorf("-plot %s: no run with workers to plot: add a mode other than serial", name)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("brine: %s, %d tasks, size %d, on %d CPUs", rep.Job, rep.Tasks, rep.Size, cmp.CPUs)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = "workers"
	p.Y.Label.Text = "speedup against " + cmp.Baseline
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Legend.ThumbnailWidth = vg.Points(24)
	p.Add(plotter.NewGrid())
	if err := addGuides(p, s, cmp.CPUs); err != nil {
		return err
	}
	for i, m := range s.modes {
		line, marks, err := plotter.NewLinePoints(s.points[m])
		if err != nil {
			return err
		}
		line.Color, line.Width = plotutil.Color(i), vg.Points(1.5)
		marks.Color, marks.Shape = plotutil.Color(i), plotutil.Shape(i)
		p.Add(line, marks)
		p.Legend.Add(m, line, marks)
	}
	var xticks, yticks plot.ConstantTicks
	for _, n := range s.counts {
		xticks = append(xticks, plot.Tick{Value: float64(n), Label: fmt.Sprint(n)})
	}
	for y := 0; float64(y) <= s.top*1.05; y++ {
		yticks = append(yticks, plot.Tick{Value: float64(y), Label: fmt.Sprint(y)})
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = xticks, yticks
	p.X.Min, p.Y.Min = 0, 0
	p.X.Max, p.Y.Max = float64(s.counts[len(s.counts)-1])+0.5, s.top*1.05
	img, err := p.WriterTo(7*vg.Inch, 4.5*vg.Inch, strings.ToLower(filepath.Ext(name))[1:])
	if err != nil {
		return err
	}
	if err := writeFile(name, func(w io.Writer) error { _, err := img.WriteTo(w); return err }); err != nil {
		return failedOutput("-plot", err)
	}
	return nil
}

// addGuides draws the ideal speedup, one per worker, and a vertical line at
// the number of CPUs, past which CPU-bound work cannot speed up.
func addGuides(p *plot.Plot, s speedups, cpus int) error {
	lo, hi := float64(s.counts[0]), float64(s.counts[len(s.counts)-1])
	ideal, err := plotter.NewLine(plotter.XYs{{X: min(lo, 1), Y: min(lo, 1)}, {X: hi, Y: hi}})
	if err != nil {
		return err
	}
	ideal.Color, ideal.Dashes = color.Gray{Y: 60}, []vg.Length{vg.Points(5), vg.Points(3)}
	p.Add(ideal)
	p.Legend.Add("ideal: speedup = workers", ideal)
	mark, err := plotter.NewLine(plotter.XYs{{X: float64(cpus), Y: 0}, {X: float64(cpus), Y: s.top * 1.05}})
	if err != nil {
		return err
	}
	mark.Color, mark.Dashes = color.Gray{Y: 140}, []vg.Length{vg.Points(1), vg.Points(3)}
	p.Add(mark)
	p.Legend.Add(fmt.Sprintf("%d CPUs on this machine", cpus), mark)
	return nil
}
