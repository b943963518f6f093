package coordinator

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"syscall"

	"github.com/brinehq/brine/pkg/pool"
)

// peakRSS holds the peak resident sets of a run, in bytes.
type peakRSS struct {
	coordinator int64 // this process
	worker      int64 // the largest worker process
	workers     int64 // the worker processes together
}

// resetPeakRSS makes Linux forget this process's peak resident set, so that
// the next selfPeakRSS is the peak of what follows (proc(5), clear_refs:
// writing 5 resets VmHWM, Linux 4.0 and later). Where that fails the
// readings are peaks since the process started.
func resetPeakRSS() {
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// selfPeakRSS returns this process's peak resident set: VmHWM, or else
// getrusage's ru_maxrss.
func selfPeakRSS() int64 {
	if n := procPeakRSS("self"); n > 0 {
		return n
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss << 10 // kilobytes on Linux
}

// workersPeakRSS reads the peak resident set of each live worker process;
// the pool has not reaped them yet, so each VmHWM is its peak so far.
func workersPeakRSS(ws []pool.WorkerInfo) (largest, total int64) {
	self := os.Getpid()
	for _, w := range ws {
		if w.PID == 0 || w.PID == self {
			continue
		}
		n := procPeakRSS(strconv.Itoa(w.PID))
		largest = max(largest, n)
		total += n
	}
	return largest, total
}

// procPeakRSS returns VmHWM of /proc/PID/status in bytes, or 0.
func procPeakRSS(pid string) int64 {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmHWM:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest) // "1234 kB"
		if len(f) == 2 && string(f[1]) == "kB" {
			kb, err := strconv.ParseInt(string(f[0]), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
		return 0
	}
	return 0
}
