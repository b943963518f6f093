// Command mandelbrot renders the Mandelbrot set to a PNG file. Worker
// processes compute the rows, a task per row, and the program places each
// row in the image as it arrives, in whatever order the rows complete.
//
//	go run ./examples/mandelbrot [-width 800] [-height 600] [-iter 500] [-out mandelbrot.png] [-workers n] [-mode process|thread] [-pids]
//
// It is its own worker: the pool re-runs this very executable, which serves
// the registered function because main calls worker.Main under
// worker.IsWorker before anything else. No second binary is built.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"iter"
	"maps"
	"math"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"syscall"
	"time"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/worker"
)

// View is the part of the complex plane to render, and how finely. It is
// bound to the row function once, and travels in every task's descriptor.
type View struct {
	Width, Height int
	MaxIter       int
	CenterX       float64
	CenterY       float64
	Span          float64 // the width of the view in the plane; pixels are square
}

// Row is one rendered row.
type Row struct {
	Pix []uint8 // an index into palette per pixel: 0 inside the set
	PID int     // the process that rendered it
}

// renderRow is registered in a package variable, so that the worker
// processes, which run this same binary, have it under the same name.
var renderRow = task.Register2("mandelbrot.row", render)

// render computes row y of v by escape time.
func render(ctx context.Context, v View, y int) (Row, error) {
	if err := ctx.Err(); err != nil {
		return Row{}, err
	}
	step := v.Span / float64(v.Width)
	ci := v.CenterY + (float64(y)-float64(v.Height)/2)*step
	pix := make([]uint8, v.Width)
	for x := range pix {
		cr := v.CenterX + (float64(x)-float64(v.Width)/2)*step
		zr, zi := 0.0, 0.0
		n := 0
		for ; n < v.MaxIter && zr*zr+zi*zi <= 4; n++ {
			zr, zi = zr*zr-zi*zi+cr, 2*zr*zi+ci
		}
		if n < v.MaxIter { // shade by escape speed; the square root spreads the fast ones
			pix[x] = uint8(1 + 254*math.Sqrt(float64(n)/float64(v.MaxIter)))
		}
	}
	return Row{Pix: pix, PID: os.Getpid()}, nil
}

// palette is black for the set, and from deep blue through white to gold
// outside it, the slowest points to escape the brightest.
var palette = func() color.Palette {
	p := color.Palette{color.Black}
	for i := range 255 {
		t := float64(i) / 254
		p = append(p, color.RGBA{R: uint8(255 * min(1, 2*t)), G: uint8(230 * min(1, 1.6*t)), B: uint8(120 + 135*math.Sin(math.Pi*t)), A: 255})
	}
	return p
}()

func main() {
	if worker.IsWorker() { // started by the pool below: serve renderRow
		os.Exit(worker.Main())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "mandelbrot:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("mandelbrot", flag.ContinueOnError)
	fl.SetOutput(stderr)
	v := View{CenterX: -0.5, Span: 3}
	fl.IntVar(&v.Width, "width", 800, "image width in pixels")
	fl.IntVar(&v.Height, "height", 600, "image height in pixels")
	fl.IntVar(&v.MaxIter, "iter", 500, "iterations before a point counts as inside the set")
	fl.Float64Var(&v.CenterX, "x", v.CenterX, "real part of the centre")
	fl.Float64Var(&v.CenterY, "y", v.CenterY, "imaginary part of the centre")
	fl.Float64Var(&v.Span, "span", v.Span, "width of the view in the complex plane")
	out := fl.String("out", "mandelbrot.png", "the PNG file to write")
	workers := fl.Int("workers", runtime.NumCPU(), "number of worker processes")
	mode := fl.String("mode", "process", "where to render: process or thread")
	pids := fl.Bool("pids", false, "print which processes rendered how many rows")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if v.Width <= 0 || v.Height <= 0 || v.MaxIter <= 0 || fl.NArg() > 0 {
		fl.Usage()
		return errors.New("want positive -width, -height and -iter, and no arguments")
	}
	opts := []pool.Option{pool.WithWorkers(*workers)}
	switch *mode {
	case "process":
	case "thread":
		opts = append(opts, pool.WithMode(pool.Thread))
	default:
		return fmt.Errorf("-mode %q: want process or thread", *mode)
	}
	p, err := pool.New(ctx, opts...)
	if err != nil {
		return err
	}
	defer p.Close()

	start := time.Now()
	img := image.NewPaletted(image.Rect(0, 0, v.Width, v.Height), palette)
	byPID := map[int]int{}
	rows := pool.Stream(ctx, p, task.Bind(renderRow, v), upTo(v.Height))
	for r, err := range rows {
		if err != nil {
			return err
		}
		copy(img.Pix[r.Index*img.Stride:], r.Value.Pix)
		byPID[r.Value.PID]++
	}
	took := time.Since(start)
	if err := writePNG(*out, img); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rendered %dx%d in %v to %s\n", v.Width, v.Height, took.Round(time.Millisecond), *out)
	if *pids {
		// Every worker of the pool is listed, a worker that rendered no
		// rows too: which worker takes which row is up to scheduling.
		for _, w := range p.Workers() {
			if _, ok := byPID[w.PID]; !ok {
				byPID[w.PID] = 0
			}
		}
		fmt.Fprintf(stdout, "coordinator pid %d\n", os.Getpid())
		for _, pid := range slices.Sorted(maps.Keys(byPID)) {
			fmt.Fprintf(stdout, "worker pid %d: %d rows\n", pid, byPID[pid])
		}
	}
	return p.Close()
}

// upTo yields 0, 1, ..., n-1.
func upTo(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
