// Package procgroup keeps the process group of a worker process that a
// transport started in a group of its own (Setpgid, so that the group's id
// is the worker's pid): the signals sent to it and the first reason given
// for them, and whether the worker has exited, after which its group is
// never signalled again, as its pid may be reaped and reused.
package procgroup

import (
	"errors"
	"fmt"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Group is a worker's process group. The zero value is a group whose
// process has not started: a reason given now is kept, and Start then
// refuses to start it.
type Group struct {
	mu     sync.Mutex
	pid    int
	exited bool
	reason string
}

// Start starts the process with start, which returns its pid, unless a
// signal was sent to the group before: it then returns an error that says
// why, and start is not called.
func (g *Group) Start(start func() (pid int, err error)) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.reason != "" {
		return fmt.Errorf("not started: %s", g.reason)
	}
	pid, err := start()
	if err != nil {
		return err
	}
	g.pid = pid
	return nil
}

// PID returns the process's pid, 0 until it started.
func (g *Group) PID() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pid
}

// Signal sends sig to the group, which reaches what the worker's tasks
// started too, unless the worker has exited or has not started; the first
// reason given is kept, and is the one its exit reports.
func (g *Group) Signal(sig syscall.Signal, reason string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.exited {
		return
	}
	if g.reason == "" {
		g.reason = reason
	}
	if g.pid > 0 { // kill(-0) would signal our own group
		syscall.Kill(-g.pid, sig)
	}
}

// Reason returns the first reason a signal was sent for, "" if none was.
func (g *Group) Reason() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.reason
}

// Exited kills what the worker's tasks left in its group, and signals the
// group no more. Call it once the worker has exited and before it is
// reaped: its pid, a zombie's until then, cannot have been reused.
func (g *Group) Exited() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.exited && g.pid > 0 {
		syscall.Kill(-g.pid, syscall.SIGKILL)
	}
	g.exited = true
}

// HasExited reports whether the worker has exited, without reaping it.
func (g *Group) HasExited() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.exited || g.pid > 0 && WaitExit(g.pid, unix.WNOHANG)
}

// WaitExit waits for child process pid to exit, or with unix.WNOHANG in
// options only looks, leaving it unreaped (WNOWAIT) for its exec.Cmd's
// Wait, and reports whether it has exited.
func WaitExit(pid, options int) bool {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT|options, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		// ECHILD: not our child any more, so it has certainly ended.
		return err != nil || info.Signo != 0
	}
}
