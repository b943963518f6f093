package coordinator

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/brinehq/brine/pkg/pool"
)

// Signals stops a coordinator in stages on SIGINT, SIGTERM and SIGHUP (a
// closed terminal, a dropped ssh session). The first cancels the context
// given to Main: dispatching stops, the tasks running see their context
// cancelled and may finish within -grace, the rest are reported cancelled and the report is written. The
// second kills the workers at once, and the report is still written. After
// it the signals have their default action again, so a third ends the
// process on the spot; the workers, which watch for their coordinator's
// death, follow it.
//
// SIGPIPE is caught too, so that a write to a stdout whose reader went away
// fails with EPIPE, which Main reports, instead of killing the process
// (Go's default for fds 1 and 2).
type Signals struct {
	ch     chan os.Signal
	pipe   chan os.Signal // never read: SIGPIPE is caught only to be ignored
	cancel context.CancelFunc
	kill   chan struct{}
	quit   chan struct{}
	stderr io.Writer
	wg     sync.WaitGroup
	once   sync.Once

	mu    sync.Mutex
	first os.Signal
}

// stopSignals are the signals that stop a run.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// NotifyContext starts handling the signals as Signals says and
// returns the context for Main, derived from parent. Messages for the user
// go to stderr. Call Stop when Main has returned.
func NotifyContext(parent context.Context, stderr io.Writer) (context.Context, *Signals) {
	s := &Signals{ch: make(chan os.Signal, 2), pipe: make(chan os.Signal, 1),
		kill: make(chan struct{}), quit: make(chan struct{}), stderr: stderr}
	ctx, cancel := context.WithCancel(parent)
	s.cancel = cancel
	signal.Notify(s.ch, stopSignals...)
	signal.Notify(s.pipe, syscall.SIGPIPE)
	s.wg.Go(s.relay)
	return pool.KillOn(ctx, s.kill), s
}

func (s *Signals) relay() {
	for {
		select {
		case <-s.quit:
			return
		case sig := <-s.ch:
			s.mu.Lock()
			first := s.first == nil
			if first {
				s.first = sig
			}
			s.mu.Unlock()
			if first {
				fmt.Fprintf(s.stderr, "coordinator: %v: letting running tasks finish (-grace); again to stop them now\n", sig)
				s.cancel()
				continue
			}
			fmt.Fprintf(s.stderr, "coordinator: %v again: killing the workers\n", sig)
			close(s.kill)
			signal.Reset(stopSignals...)
			return
		}
	}
}

// Stop stops handling the signals and waits for the goroutine that did.
// It is idempotent.
func (s *Signals) Stop() {
	s.once.Do(func() {
		close(s.quit)
		s.wg.Wait()
		signal.Stop(s.ch)
		signal.Stop(s.pipe)
		s.cancel()
	})
}

// Received returns the first signal received, or nil.
func (s *Signals) Received() os.Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first
}

// ExitCode returns the process exit status for Main's status code: Main
// says ExitSIGINT for any interruption; the status is 128 plus the number
// of the first signal received, as a shell reports it: ExitSIGHUP,
// ExitSIGINT or ExitSIGTERM.
func (s *Signals) ExitCode(code int) int {
	if sig, ok := s.Received().(syscall.Signal); ok && code == ExitSIGINT {
		return 128 + int(sig)
	}
	return code
}
