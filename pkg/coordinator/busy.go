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

// busyNote warns that timings compared on a busy machine are noisy: with
// a load average of half the CPUs or more as the runs started, other
// programs were taking CPU time the runs needed, and took it unevenly.
// It returns "" for an idle machine or an unknown load.
func busyNote(load float64, cpus int) string {
	if load < 0 || load < float64(cpus)/2 {
		return ""
	}
	return fmt.Sprintf("warning: the machine was busy (load average %.2f on %d CPUs as the runs started): "+
		"other programs took CPU time from the runs, unevenly, so expect a wide spread; "+
		"compare on an idle machine, with -repeat 5", load, cpus)
}
