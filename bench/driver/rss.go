package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// peakRSS runs name with args and returns the peak resident set of that
// process alone, in KiB: the last VmHWM read from /proc/PID/status before
// it exits, polled every 20 ms. wait4's ru_maxrss is no use here: a child
// started with CLONE_VM (as os/exec starts it) inherits the high-water mark
// of the parent's memory at exec, so it reports the driver's own size.
func peakRSS(ctx context.Context, name string, args ...string) (int64, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = nil, &stderr // stdout to /dev/null: only memory is measured
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }() // ends when the command does, awaited below
	var peak int64
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if kib, ok := vmHWM(cmd.Process.Pid); ok {
			peak = max(peak, kib)
		}
		select {
		case err := <-done:
			if err != nil {
				return 0, fmt.Errorf("%s: %w: %s", name, err, lastLine(stderr.String()))
			}
			if peak == 0 {
				return 0, fmt.Errorf("%s: exited before its memory could be read", name)
			}
			return peak, nil
		case <-tick.C:
		}
	}
}

// vmHWM reads a process's peak resident set size, in KiB.
func vmHWM(pid int) (int64, bool) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
