package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

// IsWorker reports whether the process was started by a coordinator as a
// worker. A self-exec program checks it before doing anything else.
func IsWorker() bool { return os.Getenv(wire.EnvMarker) != "" }

// Main serves the functions of task.Default on fds 3 and 4, or through the
// transport that registered itself for this worker (RegisterServe), until
// the coordinator shuts the worker down or closes its input, and returns
// the process exit status. Logs go to stderr as JSON lines. opts go to Serve:
// a test's worker may misbehave through WithOutput.
func Main(opts ...Option) int {
	log := zerolog.New(os.Stderr).With().Timestamp().Logger().Level(levelFromEnv())
	if !IsWorker() {
		fmt.Fprintf(os.Stderr, "this is a brine worker: a coordinator starts it with %s set and the protocol on fds %d and %d\n",
			wire.EnvMarker, wire.InFD, wire.OutFD)
		return wire.ExitUsage
	}
	serve := registeredServe() // a transport other than pipes started it
	if serve == nil {
		if !isStream(wire.InFD) || !isStream(wire.OutFD) {
			log.Error().Msgf("protocol descriptors %d and %d are not open pipes: a coordinator starts a worker with them", wire.InFD, wire.OutFD)
			return wire.ExitUsage
		}
		in, out := os.NewFile(wire.InFD, "brine-in"), os.NewFile(wire.OutFD, "brine-out")
		keepFromChildren(wire.InFD, wire.OutFD)
		go watchCoordinator(log) // ends with the process
		serve = func(ctx context.Context, log zerolog.Logger, opts ...Option) error {
			return Serve(ctx, in, out, task.Default, log, opts...)
		}
	}
	// SIGTERM cancels running tasks; the coordinator sends it only when the
	// pool closes and the worker has not finished within the grace period.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	ctx, closeObjs, err := withSharedObjects(ctx)
	if err != nil {
		log.Error().Err(err).Msg("opening the shared conds and barriers")
		return wire.ExitFailure
	}
	defer closeObjs()
	if lanes := openLanes(log); lanes != nil {
		defer lanes.Close()
		opts = append(opts, WithLanes(lanes))
	}
	// The worker's initializers run before its Hello: a pool starts only
	// on workers that could make their States.
	if names := os.Getenv(wire.EnvStates); names != "" {
		if err := task.StartStates(ctx, nil, strings.Split(names, ",")); err != nil {
			log.Error().Err(err).Msg("starting the worker's states")
			return wire.ExitFailure
		}
	}
	err = serve(ctx, log, opts...)
	if xerr := task.EndStates(ctx, nil); xerr != nil {
		log.Error().Err(xerr).Msg("ending the worker's states")
	}
	var verr *wire.VersionError
	switch {
	case err == nil:
		return wire.ExitOK
	case errors.As(err, &verr):
		log.Error().Err(err).Msg("handshake refused")
		return wire.ExitMismatch
	default:
		log.Error().Err(err).Msg("worker stopped")
		return wire.ExitFailure
	}
}

// isStream reports whether descriptor fd is open on a pipe or a socket, as
// the coordinator's are. os.NewFile cannot tell: it makes a File of any
// number; and in a process started without them, descriptors 3 and 4 are
// likely the runtime's own (it keeps its cgroup's CPU limit files open).
func isStream(fd int) bool {
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil {
		return false
	}
	mode := st.Mode & syscall.S_IFMT
	return mode == syscall.S_IFIFO || mode == syscall.S_IFSOCK
}

func levelFromEnv() zerolog.Level {
	l, err := zerolog.ParseLevel(os.Getenv(wire.EnvLogLevel))
	if err != nil || os.Getenv(wire.EnvLogLevel) == "" {
		return zerolog.InfoLevel
	}
	return l
}

// keepFromChildren marks descriptors the coordinator passed close-on-exec:
// a program a task starts must not inherit them. One that held the output
// pipe would keep it open after the worker died, and the coordinator would
// wait for the end of that output as long as the program lived.
func keepFromChildren(fds ...int) {
	for _, fd := range fds {
		syscall.CloseOnExec(fd)
	}
}
