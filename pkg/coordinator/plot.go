//go:build !lean

package coordinator

import (
	"cmp"
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

// speedups are the points of a speedup plot: each mode's speedup by worker
// count, serial left out (it is the baseline, 1 at one worker), and with
// -repeat the spread of each point.
type speedups struct {
	modes    []string // in the order of their first run
	points   map[string]plotter.XYs
	spreads  map[string]plotter.YErrors // below and above each point; nil when not repeated
	counts   []int                      // the worker counts, sorted
	top      float64                    // the highest speedup or worker count: the y range
	repeated bool
}

func collectSpeedups(cmp *report.Comparison) speedups {
	s := speedups{points: map[string]plotter.XYs{}, spreads: map[string]plotter.YErrors{}, repeated: cmp.Repeats > 1}
	for _, r := range cmp.Rows {
		if r.Mode == modeSerial {
			continue
		}
		if _, ok := s.points[r.Mode]; !ok {
			s.modes = append(s.modes, r.Mode)
		}
		s.points[r.Mode] = append(s.points[r.Mode], plotter.XY{X: float64(r.Workers), Y: r.Speedup})
		lo, hi := r.Speedup, r.Speedup
		if r.Repeats > 1 {
			lo, hi = r.SpeedupMin, r.SpeedupMax
		}
		s.spreads[r.Mode] = append(s.spreads[r.Mode], struct{ Low, High float64 }{r.Speedup - lo, hi - r.Speedup})
		if !slices.Contains(s.counts, r.Workers) {
			s.counts = append(s.counts, r.Workers)
		}
		s.top = max(s.top, hi, float64(r.Workers))
	}
	slices.Sort(s.counts)
	return s
}

// series returns mode m's points, ordered by worker count, with their
// spreads; with error bars, each mode's points are moved a little
// sideways (by dodge) so that bars at one worker count do not hide each other.
func (s speedups) series(m string, dodge float64) (plotter.XYs, plotter.YErrors) {
	pts, errs := slices.Clone(s.points[m]), slices.Clone(s.spreads[m])
	idx := make([]int, len(pts))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(pts[a].X, pts[b].X) })
	sorted, sortedErrs := make(plotter.XYs, len(pts)), make(plotter.YErrors, len(pts))
	for k, i := range idx {
		sorted[k], sortedErrs[k] = pts[i], errs[i]
		sorted[k].X += dodge
	}
	return sorted, sortedErrs
}

// yLabel names what the speedups are against: the baseline's mode, and its
// worker count.
func yLabel(cmp *report.Comparison) string {
	for _, r := range cmp.Rows {
		if r.Mode == cmp.Baseline {
			return fmt.Sprintf("speedup vs %s at %d %s", r.Mode, r.Workers, plural(r.Workers, "worker", "workers"))
		}
	}
	return "speedup vs " + cmp.Baseline
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
	if s.repeated {
		p.Title.Text += fmt.Sprintf("; median of %d runs, bars min–max", cmp.Repeats)
	}
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = "workers"
	p.Y.Label.Text = yLabel(cmp)
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Legend.ThumbnailWidth = vg.Points(24)
	p.Add(plotter.NewGrid())
	if err := addGuides(p, s, cmp.CPUs); err != nil {
		return err
	}
	for i, m := range s.modes {
		dodge := 0.0
		if s.repeated {
			dodge = 0.06 * (float64(i) - float64(len(s.modes)-1)/2)
		}
		pts, errs := s.series(m, dodge)
		line, marks, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		line.Color, line.Width = plotutil.Color(i), vg.Points(1.5)
		marks.Color, marks.Shape = plotutil.Color(i), plotutil.Shape(i)
		p.Add(line, marks)
		if s.repeated {
			bars, err := plotter.NewYErrorBars(struct {
				plotter.XYs
				plotter.YErrors
			}{pts, errs})
			if err != nil {
				return err
			}
			bars.Color, bars.Width = plotutil.Color(i), vg.Points(1)
			p.Add(bars)
		}
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
