// Statistics as barrier_bench.py computes them, and the host's load.

package main

import (
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

type summary struct{ med, p99, min, max, mean float64 }

// summarize sorts xs in place. The median and the percentile index rule are
// barrier_bench.py's (statistics.median; index round(p/100*(n-1)), ties to
// even), so figures compare like for like.
func summarize(xs []float64) summary {
	slices.Sort(xs)
	n := len(xs)
	med := xs[n/2]
	if n%2 == 0 {
		med = (xs[n/2-1] + xs[n/2]) / 2
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return summary{med, percentile(xs, 99), xs[0], xs[n-1], sum / float64(n)}
}

func percentile(sorted []float64, p float64) float64 {
	k := int(math.RoundToEven(p / 100 * float64(len(sorted)-1)))
	return sorted[min(len(sorted)-1, max(0, k))]
}

func round(v float64, places int) float64 {
	m := math.Pow(10, float64(places))
	return math.Round(v*m) / m
}

// hostLoad is the machine's load when the line is printed, recorded as the
// Python anchors record it: figures taken under CPU pressure do not compare.
// A value that cannot be read is -1.
type hostLoad struct {
	Loadavg1 float64 `json:"loadavg1"`
	PSI      float64 `json:"cpu_psi_some_avg10"`
}

func readHostLoad() hostLoad {
	h := hostLoad{-1, -1}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			if v, err := strconv.ParseFloat(f[0], 64); err == nil {
				h.Loadavg1 = v
			}
		}
	}
	// First line: "some avg10=1.02 avg60=... avg300=... total=..."
	if b, err := os.ReadFile("/proc/pressure/cpu"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			if v, ok := strings.CutPrefix(f[1], "avg10="); ok {
				if x, err := strconv.ParseFloat(v, 64); err == nil {
					h.PSI = x
				}
			}
		}
	}
	return h
}
