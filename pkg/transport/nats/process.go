package nats

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/transport/internal/output"
	"github.com/brinehq/brine/pkg/transport/internal/procgroup"
	"github.com/brinehq/brine/pkg/wire"
)

// process is a worker process this transport started on this machine: in
// a process group of its own, dying with the coordinator (Pdeathsig), its
// stdout and stderr relayed to the pool's log line by line.
type process struct {
	cmd   *exec.Cmd
	group procgroup.Group
	tail  output.Tail

	relays     sync.WaitGroup
	outR, errR *os.File

	ended chan struct{} // closed once it has exited and been reaped
	state *os.ProcessState
}

// startLocal starts a worker process and waits for it to join, within
// spec.HandshakeTimeout and ctx.
func (t *Transport) startLocal(ctx context.Context, spec transport.Spec) (transport.Worker, error) {
	b := make([]byte, 8)
	rand.Read(b)
	key := hex.EncodeToString(b)
	p, err := t.await(key)
	if err != nil {
		return nil, err
	}
	proc, err := t.launch(spec, key)
	if err != nil {
		t.abandon(p)
		return nil, err
	}
	timer := time.NewTimer(spec.HandshakeTimeout)
	defer timer.Stop()
	var why error
	select {
	case m := <-p.joins:
		w, err := t.accept(m, spec, proc)
		if err == nil {
			return w, nil
		}
		why = err
	case <-proc.ended:
		why = errors.New("it exited before it joined: is it a brine worker that imports pkg/transport/nats?")
	case <-timer.C:
		why = fmt.Errorf("no join within %v (HandshakeTimeout): is %s a brine worker that imports pkg/transport/nats?", spec.HandshakeTimeout, t.cfg.Command[0])
	case <-ctx.Done():
		why = fmt.Errorf("interrupted before it joined: %w", ctx.Err())
	}
	t.abandon(p)
	proc.group.Signal(syscall.SIGKILL, "its start failed")
	<-proc.ended
	proc.closeOutput()
	return nil, fmt.Errorf("nats: worker %d (pid %d, %s): %w%s", spec.ID, proc.group.PID(), proc.state, why, proc.tail.Describe())
}

// launch starts the worker program for spec, to join with key.
func (t *Transport) launch(spec transport.Spec, key string) (*process, error) {
	cmd := exec.Command(t.cfg.Command[0], t.cfg.Command[1:]...)
	cmd.Env = append(os.Environ(), wire.EnvMarker+"=1", envURL+"="+strings.Join(t.cfg.URLs, ","), envLaunch+"="+key)
	if t.cfg.Token != "" {
		cmd.Env = append(cmd.Env, EnvToken+"="+t.cfg.Token)
	}
	for env, file := range map[string]string{envTLSCert: t.cfg.TLSCert, envTLSKey: t.cfg.TLSKey, envTLSCA: t.cfg.TLSCA} {
		if file != "" {
			cmd.Env = append(cmd.Env, env+"="+file)
		}
	}
	if spec.Shared != nil {
		cmd.ExtraFiles = []*os.File{spec.Shared}
		cmd.Env = append(cmd.Env, wire.EnvCondFD+"=3")
	}
	cmd.Env = append(cmd.Env, spec.Env...)
	// Its own group keeps a terminal's Ctrl-C for the coordinator and lets
	// a kill reach what its tasks started; Pdeathsig ends it with the
	// coordinator.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &process{cmd: cmd, ended: make(chan struct{})}
	var outW, errW *os.File
	var err error
	if p.outR, outW, err = os.Pipe(); err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	if p.errR, errW, err = os.Pipe(); err != nil {
		closeAll(p.outR, outW)
		return nil, fmt.Errorf("nats: %w", err)
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	err = p.group.Start(func() (int, error) {
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		return cmd.Process.Pid, nil
	})
	closeAll(outW, errW) // the child has its copies
	if err != nil {
		closeAll(p.outR, p.errR)
		return nil, fmt.Errorf("nats: starting worker %s: %w; check the worker command", cmd.Path, err)
	}
	pid := p.group.PID()
	for _, s := range []struct {
		r    *os.File
		name string
	}{{p.outR, "stdout"}, {p.errR, "stderr"}} {
		p.relays.Go(func() { // owned by p.relays, awaited in closeOutput
			output.Lines(s.r, func(line []byte) {
				if s.name == "stderr" {
					p.tail.Add(string(line))
				}
				output.Log(spec.Logger, spec.ID, pid, line, s.name)
			})
		})
	}
	go p.reap() // ends when the process does; awaited through p.ended
	return p, nil
}

// reap waits for the process to exit, kills what its tasks left in its
// group, and reaps it.
func (p *process) reap() {
	procgroup.WaitExit(p.group.PID(), 0)
	p.group.Exited()
	p.cmd.Wait()
	p.state = p.cmd.ProcessState
	close(p.ended)
}

// closeOutput waits for the relays to reach the end of its stdout and
// stderr, or a second when a process that left its group holds them, then
// closes them.
func (p *process) closeOutput() {
	done := make(chan struct{})
	go func() { p.relays.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
	}
	closeAll(p.outR, p.errR) // ends the relays that still read
	<-done
}

// exitError describes how the reaped process ended.
func (p *process) exitError(id int) *transport.ExitError {
	return transport.ExitOf(id, p.group.PID(), p.state, p.group.Reason())
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		if f != nil {
			f.Close()
		}
	}
}
