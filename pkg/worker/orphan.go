package worker

import (
	"errors"
	"os"

	"github.com/brinehq/brine/pkg/wire"
	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"
)

// watchCoordinator exits the process as soon as the coordinator is gone.
// The coordinator holds the read end of the pipe on fd wire.OutFD until the
// worker has exited, so the kernel closing it means the coordinator died;
// poll(2) reports that on the write end as POLLERR at once. The pool also
// sets Pdeathsig, which usually kills the worker first; this covers a
// coordinator that sets none and a task that would otherwise hang on with
// nobody to answer to. It returns, without exiting, if fd wire.OutFD cannot be
// watched.
//
// It blocks for the life of the process, so Main runs it on a goroutine of
// its own that the process's exit ends.
func watchCoordinator(log zerolog.Logger) {
	fds := []unix.PollFd{{Fd: wire.OutFD}} // no events: POLLERR and POLLHUP are always reported
	for {
		_, err := unix.Poll(fds, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || fds[0].Revents&unix.POLLNVAL != 0 {
			return
		}
		if fds[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0 {
			log.Error().Msg("the coordinator is gone: exiting")
			os.Exit(wire.ExitFailure)
		}
	}
}
