package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

// Environment variables set by the coordinator on the workers it starts.
const (
	// EnvMarker marks a process started as a worker; its value is the
	// protocol version the coordinator speaks.
	EnvMarker = "BRINE_WORKER"
	// EnvLogLevel carries the coordinator's -log-level.
	EnvLogLevel = "BRINE_LOG_LEVEL"
	// EnvCondFD names the descriptor of the shared conds and barriers
	// (pkg/cond), when the coordinator passes them.
	EnvCondFD = "BRINE_COND_FD"
	// EnvLaneFD names the descriptor of the worker's shared-memory lanes
	// (pkg/lane), when the coordinator passes them.
	EnvLaneFD = "BRINE_LANE_FD"
)

// File descriptors of the protocol streams in a worker process.
const (
	InFD  = 3 // frames from the coordinator
	OutFD = 4 // frames to the coordinator
	// CondFD is the shared memory of the run's conds and barriers.
	CondFD = 5
	// LaneFD is the memory of the worker's lanes for large payloads.
	LaneFD = 6
)

// Exit statuses of Main.
const (
	ExitOK       = 0
	ExitFailure  = 1 // the protocol failed: a bad frame, a broken pipe
	ExitUsage    = 2 // not started as a worker
	ExitMismatch = 3 // the coordinator speaks another protocol version
)

// IsWorker reports whether the process was started by a coordinator as a
// worker. A self-exec program checks it before doing anything else.
func IsWorker() bool { return os.Getenv(EnvMarker) != "" }

// Main serves the functions of task.Default on fds 3 and 4 until the
// coordinator shuts the worker down or closes its input, and returns the
// process exit status. Logs go to stderr as JSON lines.
func Main() int {
	log := zerolog.New(os.Stderr).With().Timestamp().Logger().Level(levelFromEnv())
	if !IsWorker() {
		fmt.Fprintf(os.Stderr, "this is a brine worker: a coordinator starts it with %s set and the protocol on fds %d and %d\n",
			EnvMarker, InFD, OutFD)
		return ExitUsage
	}
	in, out := os.NewFile(InFD, "brine-in"), os.NewFile(OutFD, "brine-out")
	if in == nil || out == nil {
		log.Error().Msg("protocol descriptors 3 and 4 are not open")
		return ExitUsage
	}
	keepFromChildren(InFD, OutFD)
	go watchCoordinator(log) // ends with the process
	// SIGTERM cancels running tasks; the coordinator sends it only when the
	// pool closes and the worker has not finished within the grace period.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	ctx, closeObjs, err := withSharedObjects(ctx)
	if err != nil {
		log.Error().Err(err).Msg("opening the shared conds and barriers")
		return ExitFailure
	}
	defer closeObjs()
	var opts []Option
	if lanes := openLanes(log); lanes != nil {
		defer lanes.Close()
		opts = append(opts, WithLanes(lanes))
	}
	err = Serve(ctx, in, out, task.Default, log, opts...)
	var verr *wire.VersionError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &verr):
		log.Error().Err(err).Msg("handshake refused")
		return ExitMismatch
	default:
		log.Error().Err(err).Msg("worker stopped")
		return ExitFailure
	}
}

func levelFromEnv() zerolog.Level {
	l, err := zerolog.ParseLevel(os.Getenv(EnvLogLevel))
	if err != nil || os.Getenv(EnvLogLevel) == "" {
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
