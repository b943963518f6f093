package main

import (
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/brinehq/brine/pkg/worker"
)

// TestMain lets the test binary serve as a worker too, in case a test
// starts a process pool in this process (the tests below run the built
// example instead).
func TestMain(m *testing.M) {
	if worker.IsWorker() {
		os.Exit(worker.Main())
	}
	os.Exit(m.Run())
}

// build compiles the example into a temporary directory: the test runs the
// program as a user would, one binary that is its own worker.
func build(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the example with")
	}
	bin := filepath.Join(t.TempDir(), "mandelbrot")
	if out, err := exec.Command(goCmd, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var pidLine = regexp.MustCompile(`^(coordinator|worker) pid (\d+)(?:: (\d+) rows)?$`)

func TestMandelbrot(t *testing.T) {
	bin := build(t)
	v := View{Width: 160, Height: 120, MaxIter: 400, CenterX: -0.5, Span: 3}
	for _, mode := range []string{"process", "thread"} {
		t.Run(mode, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "m.png")
			out, err := exec.Command(bin, "-width", fmt.Sprint(v.Width), "-height", fmt.Sprint(v.Height),
				"-iter", fmt.Sprint(v.MaxIter), "-workers", "2", "-mode", mode, "-pids", "-out", file).CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			checkImage(t, file, v)

			coordinator, rows := 0, map[int]int{}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if !strings.HasPrefix(lines[0], "rendered 160x120 in ") {
				t.Errorf("first line %q", lines[0])
			}
			for _, line := range lines[1:] {
				m := pidLine.FindStringSubmatch(line)
				if m == nil {
					t.Fatalf("unexpected line %q", line)
				}
				pid, _ := strconv.Atoi(m[2])
				if m[1] == "coordinator" {
					coordinator = pid
				} else {
					rows[pid], _ = strconv.Atoi(m[3])
				}
			}
			total := 0
			for _, n := range rows {
				total += n
			}
			_, self := rows[coordinator]
			switch {
			case total != v.Height:
				t.Errorf("rows rendered: %v, want %d in all", rows, v.Height)
			case mode == "thread" && rows[coordinator] != v.Height:
				t.Errorf("thread mode: rows rendered by %v, want all by the coordinator %d", rows, coordinator)
			case mode == "process" && (len(rows) != 2 || coordinator == 0 || self):
				// The acceptance test of self-exec: the program started two
				// worker processes of its own binary, and they rendered
				// every row, the program itself none. How the rows split
				// between the two is scheduling's choice: on a loaded
				// machine one may take them all before the other runs.
				t.Errorf("worker processes and their rows %v, coordinator pid %d: want 2 worker processes rendering all rows", rows, coordinator)
			}
		})
	}
}

// checkImage compares the PNG with rows rendered here.
func checkImage(t *testing.T, file string, v View) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != v.Width || b.Dy() != v.Height {
		t.Fatalf("image is %v, want %dx%d", b, v.Width, v.Height)
	}
	inside := 0
	for y := range v.Height {
		row, err := render(t.Context(), v, y)
		if err != nil {
			t.Fatal(err)
		}
		for x, idx := range row.Pix {
			if idx == 0 {
				inside++
			}
			r1, g1, b1, a1 := img.At(x, y).RGBA()
			r2, g2, b2, a2 := palette[idx].RGBA()
			if [4]uint32{r1, g1, b1, a1} != [4]uint32{r2, g2, b2, a2} {
				t.Fatalf("pixel (%d, %d) is %v, want %v", x, y, img.At(x, y), palette[idx])
			}
		}
	}
	// A sanity check of render itself: the set covers about a sixth of this view.
	if frac := float64(inside) / float64(v.Width*v.Height); frac < 0.1 || frac > 0.3 {
		t.Errorf("%.2f of the pixels are in the set", frac)
	}
}

func TestRenderRowThroughTheRegistry(t *testing.T) {
	v := View{Width: 8, Height: 8, MaxIter: 50, CenterX: -0.5, Span: 3}
	got, err := renderRow.Call(v, 4).Run(t.Context())
	want, _ := render(t.Context(), v, 4)
	if err != nil || fmt.Sprint(got.(Row).Pix) != fmt.Sprint(want.Pix) {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
}
