package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"

	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/wire"
)

// start starts a worker and completes both handshakes. On failure nothing
// it started is left behind.
func (t *Transport) start(ctx context.Context, spec transport.Spec) (*pluginWorker, error) {
	dir, err := t.useDir()
	if err != nil {
		return nil, err
	}
	defer t.releaseDir() // the worker is connected, or failed
	w := &pluginWorker{t: t, id: spec.ID, log: spec.Logger, relay: &relay{log: spec.Logger, id: spec.ID}}
	w.proc = newProcess(w)
	w.client = goplugin.NewClient(t.clientConfig(w, spec, dir))
	finish := w.limitStart(ctx, spec.HandshakeTimeout)
	err = w.connect()
	if err == nil {
		err = w.handshake()
	}
	if why := finish(); why != nil {
		err = why
	}
	if err != nil {
		w.Kill("its start failed")
		exit := w.Wait()
		return nil, fmt.Errorf("plugin: worker %d (pid %d, %s): %w%s", spec.ID, exit.PID, exit.Status, err, w.relay.tail.Describe())
	}
	w.r = wire.NewReader(w.conn, 64<<10, 0)
	w.r.SetFrameTimeout(spec.FrameTimeout, func() { w.Kill(transport.FrameStalled(spec.FrameTimeout)) })
	return w, nil
}

// clientConfig returns the configuration of the go-plugin client of w, its
// own: go-plugin's client keeps state in it (a SecureConfig's hash, for
// one, is never reset), so that no two clients may share one.
func (t *Transport) clientConfig(w *pluginWorker, spec transport.Spec, dir string) *goplugin.ClientConfig {
	cfg := &goplugin.ClientConfig{
		HandshakeConfig:  handshake,
		Plugins:          goplugin.PluginSet{pluginName: &framesPlugin{}},
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolNetRPC},
		RunnerFunc: func(_ hclog.Logger, base *exec.Cmd, _ string) (runner.Runner, error) {
			return w.proc, w.proc.prepare(base, spec)
		},
		UnixSocketConfig: &goplugin.UnixSocketConfig{TempDir: dir},
		StartTimeout:     spec.HandshakeTimeout + time.Second, // limitStart's comes first, and says so
		Logger:           quietLogger(),
		SyncStdout:       w.relay.writer("stdout"),
		SyncStderr:       w.relay.writer("stderr"),
	}
	if t.protocol == GRPC {
		cfg.AllowedProtocols = []goplugin.Protocol{goplugin.ProtocolGRPC}
	}
	return cfg
}

// connect starts the process and go-plugin's handshake, and opens the
// stream of frames.
func (w *pluginWorker) connect() error {
	cp, err := w.client.Client()
	if err != nil {
		return fmt.Errorf("go-plugin's handshake: %w: is %s a brine worker that imports pkg/transport/plugin?", err, w.t.cmd[0])
	}
	raw, err := cp.Dispense(pluginName)
	if err != nil {
		return fmt.Errorf("go-plugin: %w", err)
	}
	o, ok := raw.(opener)
	if !ok {
		return fmt.Errorf("go-plugin dispensed a %T", raw)
	}
	w.conn, err = o.open()
	return err
}

// handshake reads the worker's Hello and answers it (docs/PROTOCOL.md §3).
func (w *pluginWorker) handshake() error {
	name := w.t.cmd[0]
	body, err := wire.NewReader(w.conn, 4<<10, wire.MaxHello).Next()
	switch {
	case errors.Is(err, io.EOF):
		return fmt.Errorf("its stream ended before its hello: is %s a brine worker that calls worker.Main?", name)
	case err != nil:
		return fmt.Errorf("bad hello: %w: is %s a brine worker?", err, name)
	}
	w.hello, err = transport.Welcome(body, w.conn, w.id, name)
	return err
}

var errNoHello = errors.New("no hello")

// limitStart kills the worker if ctx ends or limit passes before the
// returned finish is called; finish then says which, or returns nil. A
// kill before the process started keeps it from starting.
func (w *pluginWorker) limitStart(ctx context.Context, limit time.Duration) (finish func() error) {
	var mu sync.Mutex
	var why error
	over := false
	abort := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if !over && why == nil {
			why = err
			w.Kill("its start took too long or was interrupted")
		}
	}
	timer := time.AfterFunc(limit, func() {
		abort(fmt.Errorf("%w within %v (HandshakeTimeout): is %s a brine worker that calls worker.Main?", errNoHello, limit, w.t.cmd[0]))
	})
	stop := context.AfterFunc(ctx, func() { abort(fmt.Errorf("interrupted before its hello: %w", ctx.Err())) })
	return func() error {
		timer.Stop()
		stop()
		mu.Lock()
		defer mu.Unlock()
		over = true
		return why
	}
}
