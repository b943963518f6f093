package coordinator

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// loadAverage returns the machine's load average over the last minute
// (/proc/loadavg), or -1 where it cannot be read.
func loadAverage() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return -1
	}
	load, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return load
}

// cpuPressure returns the share, in percent, of the last 10 seconds in
// which some runnable task waited for a CPU (/proc/pressure/cpu, "some
// avg10"), or -1 where the kernel does not report it.
func cpuPressure() float64 {
	data, err := os.ReadFile("/proc/pressure/cpu")
	if err != nil {
		return -1
	}
	for _, f := range strings.Fields(string(data)) {
		if v, ok := strings.CutPrefix(f, "avg10="); ok {
			if p, err := strconv.ParseFloat(v, 64); err == nil {
				return p
			}
			break
		}
	}
	return -1
}

// busy is how busy the machine was as the runs started.
type busy struct {
	pressure float64 // cpuPressure; -1 if unknown
	load     float64 // loadAverage; -1 if unknown
}

func machineBusy() busy { return busy{pressure: cpuPressure(), load: loadAverage()} }

// busyNote warns that timings compared on a busy machine are noisy: other
// programs were taking CPU time the runs needed, and took it unevenly. CPU
// pressure says so for the last 10 seconds, 10% or more; without it, a load
// average of half the CPUs or more, which trails the machine by a minute.
// It returns "" for an idle machine, or when neither is known.
func busyNote(b busy, cpus int) string {
	var why string
	switch {
	case b.pressure >= 10:
		why = fmt.Sprintf("programs waited for a CPU %.0f%% of the last 10 s", b.pressure)
	case b.pressure < 0 && b.load >= float64(cpus)/2:
		why = fmt.Sprintf("load average %.2f on %d CPUs", b.load, cpus)
	default:
		return ""
	}
	return fmt.Sprintf("warning: the machine was busy as the runs started (%s): "+
		"other programs took CPU time from the runs, unevenly, so expect a wide spread; "+
		"compare on an idle machine, with -repeat 5", why)
}
