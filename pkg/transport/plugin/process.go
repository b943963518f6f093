package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-plugin/runner"

	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/transport/internal/procgroup"
	"github.com/brinehq/brine/pkg/wire"
)

// process is a worker's process as go-plugin's client runs it
// (runner.Runner). The transport starts, signals and reaps it itself, so
// that it has its own process group, dies with the coordinator
// (Pdeathsig), and has its stdout and stderr relayed to the pool's log:
// go-plugin sees only the first line of its stdout, the one of go-plugin's
// handshake, and none of its stderr, which it would parse as hclog's.
type process struct {
	w     *pluginWorker
	cmd   *exec.Cmd
	outR  *os.File // our end of its stdout
	errR  *os.File // our end of its stderr
	first *firstLine

	relays     sync.WaitGroup
	relaysDone chan struct{} // closed when both relays have ended
	ended      chan struct{} // closed once it has exited and been reaped
	state      *os.ProcessState
}

var _ runner.Runner = (*process)(nil)

func newProcess(w *pluginWorker) *process {
	return &process{w: w, first: newFirstLine(), relaysDone: make(chan struct{}), ended: make(chan struct{})}
}

// prepare sets up the command that Start runs: the transport's, with the
// environment go-plugin made for it in base (its magic cookie and socket
// directory), the worker's own entries, and spec.Shared on fd 3.
func (p *process) prepare(base *exec.Cmd, spec transport.Spec) error {
	t := p.w.t
	cmd := exec.Command(t.cmd[0], t.cmd[1:]...)
	cmd.Env = append(base.Env, wire.EnvMarker+"=1", envProtocol+"="+string(t.protocol))
	if spec.Shared != nil {
		cmd.ExtraFiles = []*os.File{spec.Shared}
		cmd.Env = append(cmd.Env, wire.EnvCondFD+"=3")
	}
	cmd.Env = append(cmd.Env, spec.Env...)
	// Its own process group keeps a terminal's Ctrl-C for the coordinator
	// to handle and lets a kill reach what its tasks started; Pdeathsig
	// ends it if the coordinator dies, which go-plugin does not arrange.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	var outW, errW *os.File
	var err error
	if p.outR, outW, err = os.Pipe(); err != nil {
		return err
	}
	if p.errR, errW, err = os.Pipe(); err != nil {
		closeAll(p.outR, outW)
		return err
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	p.cmd = cmd
	return nil
}

// Start starts the process, unless the worker was killed already (its
// start was interrupted), and the relays of its stdout and stderr.
func (p *process) Start(context.Context) error {
	outW, errW := p.cmd.Stdout.(*os.File), p.cmd.Stderr.(*os.File)
	defer closeAll(outW, errW) // the child has its copies
	w := p.w
	err := w.group.Start(func() (int, error) {
		if err := p.cmd.Start(); err != nil {
			return 0, fmt.Errorf("starting worker %s: %w; check plugin.Config.Command", p.cmd.Path, err)
		}
		return p.cmd.Process.Pid, nil
	})
	if err != nil {
		return err
	}
	r := w.relay
	r.pid.Store(int64(w.group.PID()))
	p.relays.Add(2)
	left := 2
	var mu sync.Mutex
	done := func() {
		p.relays.Done()
		mu.Lock()
		defer mu.Unlock()
		if left--; left == 0 {
			close(p.relaysDone)
		}
	}
	go func() { defer done(); r.lines(p.outR, "stdout", p.first) }() // owned by p.relays, awaited in closeOutput
	go func() { defer done(); r.lines(p.errR, "stderr", nil) }()
	go p.watch() // ends when the process does; awaited through p.ended
	return nil
}

// watch waits for the process to exit, kills what its tasks left in its
// group, and reaps it.
func (p *process) watch() {
	procgroup.WaitExit(p.w.group.PID(), 0)
	p.w.group.Exited()
	p.cmd.Wait()
	p.state = p.cmd.ProcessState
	close(p.ended)
}

func (p *process) started() bool { return p.w.PID() > 0 }

// wait waits for the process to exit, if it started.
func (p *process) wait() {
	if p.started() {
		<-p.ended
	}
}

// closeOutput waits for the relays to reach the end of its stdout and
// stderr, or a second when a process that left its group holds them, then
// closes them.
func (p *process) closeOutput() {
	if p.started() {
		select {
		case <-p.relaysDone:
		case <-time.After(time.Second):
		}
	}
	closeAll(p.outR, p.errR) // ends the relays that still read
	p.relays.Wait()
}

// Wait waits for the process to exit and returns what cmd.Wait returned.
func (p *process) Wait(context.Context) error {
	<-p.ended
	if p.state != nil && !p.state.Success() {
		return errors.New(p.state.String())
	}
	return nil
}

// Kill kills the process, as go-plugin's client does when its handshake
// fails.
func (p *process) Kill(context.Context) error {
	p.w.Kill("go-plugin's client gave up on it")
	return nil
}

func (p *process) Stdout() io.ReadCloser { return p.first }

// Stderr returns nothing to read: the worker's stderr goes to the pool's
// log, not to go-plugin's.
func (p *process) Stderr() io.ReadCloser { return io.NopCloser(eof{}) }

func (p *process) Name() string { return p.cmd.Path }

func (p *process) ID() string {
	if pid := p.w.PID(); pid > 0 {
		return strconv.Itoa(pid)
	}
	return ""
}

// Diagnose adds nothing to go-plugin's errors: start says what to check.
func (p *process) Diagnose(context.Context) string { return "" }

// PluginToHost and HostToPlugin translate nothing: the worker runs here.
func (p *process) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

func (p *process) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}

type eof struct{}

func (eof) Read([]byte) (int, error) { return 0, io.EOF }

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		if f != nil {
			f.Close()
		}
	}
}
