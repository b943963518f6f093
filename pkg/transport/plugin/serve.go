package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
	"github.com/brinehq/brine/pkg/worker"
)

func init() {
	worker.RegisterServe(handshake.MagicCookieKey, handshake.MagicCookieValue, Serve)
}

// Serve is the worker's half of the transport, which worker.Main runs in
// a worker this transport started: it serves the plugin through
// go-plugin, waits for the coordinator to open the stream of frames, and
// runs worker.Serve over it with the functions of task.Default. It returns
// what worker.Serve returns, once the coordinator has what the worker
// sent, or ctx.Err() if ctx ends before the stream opens. It exits the
// process at once, even in the middle of a task, when the coordinator's
// connection closes: the coordinator died.
func Serve(ctx context.Context, log zerolog.Logger, opts ...worker.Option) error {
	conns := make(chan serverStream, 1)
	cfg := &goplugin.ServeConfig{
		HandshakeConfig: handshake,
		Plugins:         goplugin.PluginSet{pluginName: &framesPlugin{conns: conns}},
		Logger:          hclog.New(&hclog.LoggerOptions{Level: hclog.Error, Output: os.Stderr}),
	}
	if Protocol(os.Getenv(envProtocol)) == GRPC {
		cfg.GRPCServer = goplugin.DefaultGRPCServer
	}
	ended := make(chan struct{})
	go func() { // ends when the coordinator closes go-plugin's connection, or with the process
		defer close(ended)
		goplugin.Serve(cfg)
	}()
	var s serverStream
	select {
	case s = <-conns:
	case <-ended:
		return errors.New("plugin: go-plugin's server ended before the coordinator opened the stream of frames")
	case <-ctx.Done():
		return ctx.Err()
	}
	// go-plugin's server has read its environment by now. Without the
	// cookie, a program a task starts that is a worker too, over pipes,
	// does not take itself for a plugin.
	os.Unsetenv(handshake.MagicCookieKey)
	os.Unsetenv(envProtocol)
	in, err := piped(s)
	if err != nil {
		return err
	}
	defer in.Close()
	done := make(chan struct{})
	go watchCoordinator(s.gone(), done, log) // ends when done closes, or with the process
	err = worker.Serve(ctx, in, s, task.Default, log, opts...)
	close(done)
	s.finish()
	return err
}

// piped returns a pipe that the frames read from r are copied into, until
// r ends, by a goroutine that ends with it or with the process. The worker
// reads its input from a descriptor, which it polls while a task runs to
// see a Cancel (docs/PROTOCOL.md §5.2), and while it waits for the next
// lone call.
func piped(r io.Reader) (*os.File, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("plugin: %w", err)
	}
	go func() {
		io.Copy(pw, r)
		pw.Close()
	}()
	return pr, nil
}

// watchCoordinator exits the process when gone closes before done: the
// coordinator's connection closed while the worker served.
func watchCoordinator(gone, done <-chan struct{}, log zerolog.Logger) {
	select {
	case <-done:
	case <-gone:
		select {
		case <-done:
		default:
			log.Error().Msg("the coordinator is gone: exiting")
			os.Exit(wire.ExitFailure)
		}
	}
}
