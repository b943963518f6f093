package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// pressure is one reading of the "some" line of /proc/pressure/cpu (PSI):
// how long runnable tasks have had to wait for a CPU. On a machine shared
// with others it says whether a figure was taken on a busy or a quiet host.
type pressure struct {
	ok    bool
	avg10 float64       // % of the last 10 s in which some task waited
	total time.Duration // time in which some task waited, since boot
	at    time.Time
}

// readPressure reads /proc/pressure/cpu now; ok is false where the kernel
// has no PSI.
func readPressure() pressure {
	b, err := os.ReadFile("/proc/pressure/cpu")
	if err != nil {
		return pressure{}
	}
	p := parsePressure(string(b))
	p.at = time.Now()
	return p
}

// parsePressure reads the "some" line of a /proc/pressure/cpu text:
//
//	some avg10=5.74 avg60=2.92 avg300=1.18 total=4883656
//
// where total is in µs.
func parsePressure(text string) pressure {
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "some" {
			continue
		}
		var p pressure
		var haveAvg, haveTotal bool
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "avg10":
				x, err := strconv.ParseFloat(v, 64)
				p.avg10, haveAvg = x, err == nil
			case "total":
				us, err := strconv.ParseInt(v, 10, 64)
				p.total, haveTotal = time.Duration(us)*time.Microsecond, err == nil
			}
		}
		p.ok = haveAvg && haveTotal
		return p
	}
	return pressure{}
}

// stalled is the share, in %, of the time from p to q in which some
// runnable task waited for a CPU: exact over that interval, where avg10
// only describes the 10 s before a reading. -1 if either reading failed.
func stalled(p, q pressure) float64 {
	wall := q.at.Sub(p.at)
	if !p.ok || !q.ok || wall <= 0 || q.total < p.total {
		return -1
	}
	return min(100, 100*float64(q.total-p.total)/float64(wall))
}

// percent formats a share from stalled or avg10, or "n/a" for -1.
func percent(v float64) string {
	if v < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f %%", v)
}

// avg10OrNone is p's avg10, or -1 if it could not be read.
func (p pressure) avg10OrNone() float64 {
	if !p.ok {
		return -1
	}
	return p.avg10
}
