package cond_test

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/cond"
)

// child is the test binary re-run in a helper role with the region as fd 3.
type child struct {
	cmd   *exec.Cmd
	lines chan string // stdout lines; closed at EOF
}

func startChild(t *testing.T, r *cond.Region, role string, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(os.Environ(), helperEnv+"="+role), env...)
	cmd.ExtraFiles = []*os.File{r.File()}
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, lines: make(chan string, 1024)}
	go func() {
		defer close(c.lines)
		for sc := bufio.NewScanner(out); sc.Scan(); {
			c.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = c.wait(t)
		}
	})
	return c
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// next returns the child's next stdout line.
func (c *child) next(t *testing.T) string {
	t.Helper()
	select {
	case line, ok := <-c.lines:
		if !ok {
			t.Fatalf("child %d: stdout closed", c.pid())
		}
		return line
	case <-time.After(hangLimit):
		t.Fatalf("child %d: no output within %v", c.pid(), hangLimit)
	}
	return ""
}

// expect reads the next line and checks its prefix.
func (c *child) expect(t *testing.T, prefix string) string {
	t.Helper()
	line := c.next(t)
	if !strings.HasPrefix(line, prefix) {
		t.Fatalf("child %d said %q, want %q...", c.pid(), line, prefix)
	}
	return line
}

// wait drains stdout to EOF, then reaps the child.
func (c *child) wait(t *testing.T) error {
	t.Helper()
	for {
		select {
		case _, ok := <-c.lines:
			if !ok {
				return c.cmd.Wait()
			}
		case <-time.After(hangLimit):
			_ = c.cmd.Process.Kill()
			t.Fatalf("child %d did not exit within %v", c.pid(), hangLimit)
		}
	}
}

// kill SIGKILLs the child, reaps it, checks that the signal ended it and
// returns its exit status, as a coordinator reports it.
func (c *child) kill(t *testing.T) string {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	werr := c.wait(t)
	if werr == nil || werr.Error() != "signal: killed" {
		t.Fatalf("child %d exit = %v, want signal: killed", c.pid(), werr)
	}
	return werr.Error()
}

// reportDeath tells r that the child ended with status.
func (c *child) reportDeath(t *testing.T, r *cond.Region, status string) {
	t.Helper()
	if err := r.ProcessDied(c.pid(), status); err != nil {
		t.Fatal(err)
	}
}
