package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// output is what a finished command left: its stdout, the end of its
// stderr, and its resource usage.
type output struct {
	stdout []byte
	stderr string
	rusage *syscall.Rusage
	wall   time.Duration
}

// tail keeps the last max bytes written to it: enough of stderr to say why
// a command failed, however much it logged.
type tail struct {
	buf []byte
	max int
}

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// command runs name with args until it exits or ctx ends. The command gets
// its own process group, and on ctx's end the whole group is killed, so a
// Python pool's children die with it; brine's workers have their own groups
// and die by Pdeathsig with the coordinator. A non-zero exit is an error
// carrying the last line of stderr.
func command(ctx context.Context, env []string, name string, args ...string) (*output, error) {
	var stdout bytes.Buffer
	stderr := &tail{max: 8 << 10}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// A grandchild that outlives the kill and holds stdout open must not
	// keep Wait blocked.
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	out := &output{stdout: stdout.Bytes(), stderr: string(stderr.buf), wall: time.Since(start)}
	if cmd.ProcessState != nil {
		out.rusage, _ = cmd.ProcessState.SysUsage().(*syscall.Rusage)
	}
	if err != nil {
		if ctx.Err() != nil {
			return out, fmt.Errorf("%s: killed after %v: %w", shortName(name), out.wall.Round(time.Second), ctx.Err())
		}
		// Programs put their error last, often prefixed with their name.
		msg := strings.TrimPrefix(lastLine(out.stderr), shortName(name)+": ")
		return out, fmt.Errorf("%s (%s %w)", msg, shortName(name), err)
	}
	return out, nil
}

func shortName(path string) string {
	return path[strings.LastIndexByte(path, '/')+1:]
}

// lastLine is the last non-empty line of s, where programs put their error.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return "no message on stderr"
}

// jsonLines returns the lines of out that look like JSON objects.
func jsonLines(out []byte) [][]byte {
	var lines [][]byte
	for _, l := range bytes.Split(out, []byte("\n")) {
		if l = bytes.TrimSpace(l); len(l) > 0 && l[0] == '{' {
			lines = append(lines, l)
		}
	}
	return lines
}
