package observe

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	_ "gonum.org/v1/plot/vg/vgimg" // png
	_ "gonum.org/v1/plot/vg/vgpdf" // pdf
	_ "gonum.org/v1/plot/vg/vgsvg" // svg
)

// Colours of the timeline: a task that succeeded, one that failed, and the
// mark of a worker's death or replacement.
var (
	colourOK     = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	colourFailed = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	colourMark   = color.Black
)

// timelineWidth is the picture's width; each run's panel is panelHeight
// high, more for a run of many lanes.
const (
	timelineWidth = 9 * vg.Inch
	panelHeight   = 1.7 * vg.Inch
	laneHeight    = 0.22 * vg.Inch // past 5 lanes
	headHeight    = 0.75 * vg.Inch // the title and the legend
)

// WriteTimeline draws the runs of t into w as an image in format ("svg",
// "png" or "pdf"), under title: a panel per run, one above the other in
// the order they ran, each with a lane per worker (per worker process, in
// a run of processes) on the y-axis and the seconds since the run began on
// the x-axis, which is the same in every panel so that their lengths
// compare. A bar is a task, from its start to when the coordinator had its
// result; bars that would be narrower than the picture can show are drawn
// merged; a bar wide enough shows its task's id. A cross marks a worker's
// death or replacement.
func WriteTimeline(w io.Writer, format string, t *Trace, title string) error {
	runs := t.allRuns()
	if len(runs) == 0 {
		return errors.New("no run to draw")
	}
	var longest time.Duration
	panels := make([]*panel, len(runs))
	for i, r := range runs {
		panels[i] = newPanel(r)
		longest = max(longest, panels[i].length)
	}
	height := headHeight
	perPanel := panelHeight
	for _, p := range panels {
		perPanel = max(perPanel, panelHeight+vg.Length(max(len(p.lanes)-5, 0))*laneHeight)
	}
	height += perPanel * vg.Length(len(panels))
	cw, err := draw.NewFormattedCanvas(timelineWidth, height, format)
	if err != nil {
		return err
	}
	dc := draw.New(cw)
	head := dc
	head.Min.Y = dc.Max.Y - headHeight
	drawHead(head, title)
	body := dc
	body.Max.Y = head.Min.Y
	plots := make([][]*plot.Plot, len(panels))
	for i, p := range panels {
		plots[i] = []*plot.Plot{p.plot(longest, i == len(panels)-1)}
	}
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadX: vg.Points(4), PadY: vg.Points(10),
		PadTop: vg.Points(2), PadBottom: vg.Points(4), PadLeft: vg.Points(6), PadRight: vg.Points(14)}
	canvases := plot.Align(plots, tiles, body)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	_, err = cw.WriteTo(w)
	return err
}

// textStyle is the timeline's text at size points.
func textStyle(size float64) text.Style {
	return text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, vg.Points(size)), Handler: plot.DefaultTextHandler}
}

// drawHead writes the title and, under it, the legend, in one row.
func drawHead(c draw.Canvas, title string) {
	ts := textStyle(13)
	ts.XAlign, ts.YAlign = draw.XCenter, draw.YTop
	c.FillText(ts, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: c.Max.Y - vg.Points(6)}, title)
	ls := textStyle(10)
	ls.YAlign = draw.YCenter
	y := c.Min.Y + vg.Points(14)
	x := c.Min.X + vg.Points(60)
	sw := vg.Points(18)
	for _, e := range []struct {
		c     color.Color
		label string
	}{
		{colourOK, "a task, from its start to the coordinator's receipt of its result"},
		{colourFailed, "a task that failed"},
	} {
		c.FillPolygon(e.c, rect(x, y-vg.Points(5), x+sw, y+vg.Points(5)))
		x += sw + vg.Points(5)
		c.FillText(ls, vg.Point{X: x, Y: y}, e.label)
		x += ls.Width(e.label) + vg.Points(22)
	}
	c.DrawGlyph(markStyle(), vg.Point{X: x + vg.Points(5), Y: y})
	x += vg.Points(16)
	c.FillText(ls, vg.Point{X: x, Y: y}, "a worker died or was replaced")
}

func markStyle() draw.GlyphStyle {
	return draw.GlyphStyle{Color: colourMark, Radius: vg.Points(4), Shape: draw.CrossGlyph{}}
}

func rect(x0, y0, x1, y1 vg.Length) []vg.Point {
	return []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
}

// panel is one run's part of the timeline.
type panel struct {
	run    *traceRun
	lanes  []lane
	spans  []span
	marks  []instant
	length time.Duration // from the run's start to its end
}

func newPanel(r *traceRun) *panel {
	p := &panel{run: r, spans: r.allSpans()}
	r.mu.Lock()
	p.marks = slices.Clone(r.instants)
	stop := r.stop
	r.mu.Unlock()
	if stop == 0 {
		stop = time.Since(r.t.origin)
	}
	p.length = stop - r.start
	for _, s := range p.spans {
		if l := r.laneOf(s); len(p.lanes) == 0 || p.lanes[len(p.lanes)-1] != l {
			p.lanes = append(p.lanes, l)
		}
	}
	for _, m := range p.marks {
		if l := p.markLane(m); !slices.Contains(p.lanes, l) {
			p.lanes = append(p.lanes, l)
		}
	}
	slices.SortFunc(p.lanes, lane.compare)
	return p
}

func (p *panel) markLane(m instant) lane {
	if m.pid == p.run.t.pid {
		return lane{worker: m.worker}
	}
	return lane{worker: m.worker, pid: m.pid}
}

// y is the height of lane l: the first lane at the top.
func (p *panel) y(l lane) float64 {
	return float64(len(p.lanes) - 1 - slices.Index(p.lanes, l))
}

// plot makes the panel's plot, its x-axis running to length; only the
// bottom panel's x-axis is labelled.
func (p *panel) plot(length time.Duration, bottom bool) *plot.Plot {
	pl := plot.New()
	pl.Title.Text = p.caption()
	pl.Title.TextStyle.Font.Size = vg.Points(11)
	pl.Title.Padding = vg.Points(4)
	pl.Y.Label.Text = "worker"
	if bottom {
		pl.X.Label.Text = "seconds since the run began"
	}
	pl.X.Min, pl.X.Max = 0, length.Seconds()*1.01
	pl.Y.Min, pl.Y.Max = -0.6, float64(len(p.lanes))-0.4
	every := (len(p.lanes) + 15) / 16 // at most 16 labels, so that none overlap
	var ticks plot.ConstantTicks
	for i, l := range p.lanes {
		label := ""
		if i%every == 0 {
			label = p.laneLabel(l)
		}
		ticks = append(ticks, plot.Tick{Value: p.y(l), Label: label})
	}
	pl.Y.Tick.Marker = ticks
	pl.Add(&bars{p: p, length: length})
	return pl
}

func (p *panel) caption() string {
	r := p.run
	what := plural(r.workers, "worker")
	switch {
	case r.mode == "serial":
		what = "one loop in the coordinator, no pool"
	case r.mode == "thread-gil":
		what = plural(r.workers, "goroutine") + " taking turns behind one lock"
	case len(p.lanes) > 0 && p.lanes[0].pid == 0:
		what = plural(r.workers, "goroutine")
	case len(p.lanes) > 0:
		what = plural(r.workers, "worker process")
	}
	return fmt.Sprintf("%s: %s, %d tasks in %.3g s", r.mode, what, len(p.spans), p.length.Seconds())
}

func plural(n int, what string) string {
	switch {
	case n == 1:
		return "1 " + what
	case strings.HasSuffix(what, "s"):
		return fmt.Sprintf("%d %ses", n, what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func (p *panel) laneLabel(l lane) string {
	if l.pid == 0 {
		return fmt.Sprintf("%d", l.worker)
	}
	return fmt.Sprintf("%d (pid %d)", l.worker, l.pid)
}

// bars draws a panel's tasks and marks.
type bars struct {
	p      *panel
	length time.Duration
}

// Plot draws each lane's tasks, merging a run of tasks that starts
// narrower than minWidth and has no gap wider than minWidth: a bar per
// task of a million would be both unreadable and a very large file.
func (b *bars) Plot(c draw.Canvas, pl *plot.Plot) {
	trX, trY := pl.Transforms(&c)
	minWidth := max(b.length/1500, time.Nanosecond)
	half := (trY(1) - trY(0)) * 0.36
	p := b.p
	origin := p.run.start
	label := textStyle(7)
	label.Color = color.White
	label.XAlign, label.YAlign = draw.XCenter, draw.YCenter
	// draw1 draws a bar of tasks, labelled with the task's id when it is
	// one task wide enough to hold it.
	draw1 := func(l lane, s span, tasks int) {
		y := trY(p.y(l))
		x0, x1 := trX((s.start - origin).Seconds()), trX((s.start + s.dur - origin).Seconds())
		x1 = max(x1, x0+vg.Points(0.6))
		if s.status != 0 {
			x1 = max(x1, x0+vg.Points(2)) // a failure that took no time is still seen
		}
		c.FillPolygon(statusColour(s.status), rect(x0, y-half, x1, y+half))
		if x1-x0 > vg.Points(3) { // a thin edge tells tasks apart
			c.StrokeLine2(draw.LineStyle{Color: color.White, Width: vg.Points(0.5)}, x0, y-half, x0, y+half)
		}
		if id := itoa(s.task); tasks == 1 && x1-x0 > label.Width(id)+vg.Points(4) && 2*half > label.Height(id) {
			c.FillText(label, vg.Point{X: (x0 + x1) / 2, Y: y}, id)
		}
	}
	var cur span
	var curLane lane
	var open bool
	var merged int
	flush := func() {
		if open {
			draw1(curLane, cur, merged)
		}
	}
	for _, s := range p.spans {
		l := p.run.laneOf(s)
		if open && l == curLane && (cur.status == 0) == (s.status == 0) &&
			cur.dur < minWidth && s.start-(cur.start+cur.dur) < minWidth {
			cur.dur = max(cur.dur, s.start+s.dur-cur.start)
			merged++
			continue
		}
		flush()
		cur, curLane, open, merged = s, l, true, 1
	}
	flush()
	for _, m := range p.marks {
		c.DrawGlyph(markStyle(), vg.Point{X: trX((m.at - origin).Seconds()), Y: trY(p.y(p.markLane(m)))})
	}
}

// statusColour is the colour of a span whose status has index status.
func statusColour(status uint8) color.Color {
	if status == 0 {
		return colourOK
	}
	return colourFailed
}
