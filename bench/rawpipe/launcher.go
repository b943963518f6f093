// Re-executing this binary as children wired like brine's workers.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// launcher re-executes this binary as a child with the parent's mode and flags.
type launcher struct {
	exe    string    // this binary, resolved once
	stderr io.Writer // children's stdout and stderr
}

// child is the parent's handle on one re-executed child.
type child struct {
	cmd     *exec.Cmd
	in      *os.File // parent's write end of the child's fd 3
	out     *os.File // parent's read end of the child's fd 4
	stopped bool
	err     error
}

// start launches child index with fds 3 (input) and 4 (output) and any extra
// files from fd 5 on. It is what brine's process backend does per worker.
func (l launcher) start(ctx context.Context, c *config, index int, extra ...*os.File) (*child, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd := exec.CommandContext(ctx, l.exe, c.args...)
	cmd.Env = append(os.Environ(), childEnv+"="+strconv.Itoa(index))
	cmd.Stdout = l.stderr // stdout is reserved for the parent's JSON line
	cmd.Stderr = l.stderr
	cmd.ExtraFiles = append([]*os.File{inR, outW}, extra...)
	if c.blocking {
		// Fd puts a descriptor back in blocking mode, so reads and writes
		// become plain syscalls instead of parking on the netpoller.
		inW.Fd()
		outR.Fd()
	}
	// No orphans: a child dies with the parent even if the parent is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	// The child holds its own copies; closing ours lets EOF propagate.
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, err
	}
	return &child{cmd: cmd, in: inW, out: outR}, nil
}

// stop closes the child's input (EOF tells it to exit), drains its output and
// waits for it. It is idempotent and returns the first call's result.
func (k *child) stop() error {
	if k.stopped {
		return k.err
	}
	k.stopped = true
	k.in.Close()
	_, _ = io.Copy(io.Discard, k.out)
	k.out.Close()
	k.err = k.cmd.Wait()
	return k.err
}

func stopAll(kids []*child) error {
	var errs []error
	for i, k := range kids {
		if err := k.stop(); err != nil {
			errs = append(errs, fmt.Errorf("child %d: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

// childFiles returns the child's ends of the pipes: fd 3 in, fd 4 out. The
// parent made them blocking when it passed them (os.File.Fd), so the child
// reads and writes with plain blocking syscalls, as a brine worker does.
func childFiles() (in, out *os.File) {
	return os.NewFile(3, "in"), os.NewFile(4, "out")
}
