package worker

import (
	"fmt"
	"time"

	"github.com/brinehq/brine/pkg/wire"
)

// When the worker writes results (see server.add).
const (
	// flushBytes of pending results are written at once.
	flushBytes = 256 << 10
	// flushResults pending at the end of a frame are written even when
	// the next frame is already here: a coordinator that sends its window
	// in two frames then sends more while the worker runs the second.
	flushResults = 256
	// flushTime: a task that ran this long has its result written at once
	// instead of batched with those of the tasks queued behind it.
	flushTime = 200 * time.Microsecond
	// staleAfter: a result waits no longer than this for others to join it,
	// so that a long task does not hold back the results of the short ones
	// before it. The coordinator infers from their arrival when the long
	// one started, to time it out.
	staleAfter = time.Millisecond
)

// add appends the result in s.one to the pending frame and writes the frame
// now, when it is full, or, by flushStale, once it is staleAfter old if
// another task runs meanwhile (more). Without more, run writes it before it
// waits for input, and no timer is set: a lone task's round trip wakes
// nothing later.
//
// The pending frame is run's while it holds the input, between tasks, and
// flushStale's only while it has taken the input over from a task that
// runs (see watcher.takeOver): no lock is taken per task (bench/RESULTS.md,
// "Design measurements": Results without a lock per task).
func (s *server) add(now, more bool) error {
	if len(s.one) >= flushBytes {
		return s.writeLarge()
	}
	if s.n == 0 {
		s.buf, s.bw = wire.BeginResults(s.buf[:0])
	}
	s.buf = append(s.buf, s.one...)
	s.n++
	if now || len(s.buf) >= flushBytes {
		return s.flush()
	}
	if more && !s.armed.Load() {
		// At most one flushStale per staleAfter, however many frames go
		// out meanwhile: it flushes whatever is pending then.
		s.armed.Store(true)
		s.staleRuns.Add(1)
		s.stale.Reset(staleAfter)
	}
	return s.err
}

// flush writes the pending frame, if any.
func (s *server) flush() error {
	if s.n == 0 || s.err != nil {
		return s.err
	}
	frame, err := s.bw.End(s.buf, s.n)
	s.n = 0
	return s.send(err, frame)
}

// send writes parts, one frame, to the output and flushes it, unless err,
// from building the frame, is set. The first error is kept in s.err and
// returned from then on.
func (s *server) send(err error, parts ...[]byte) error {
	if err != nil {
		s.err = fmt.Errorf("worker: %w", err)
		return s.err
	}
	for _, b := range parts {
		if _, err := s.w.Write(b); err != nil {
			s.err = fmt.Errorf("worker: writing results: %w", err)
			return s.err
		}
	}
	if err := s.w.Flush(); err != nil {
		s.err = fmt.Errorf("worker: writing results: %w", err)
	}
	return s.err
}

// writeLarge writes the pending frame, then the large result in s.one in a
// frame of its own, from s.one rather than copied into s.buf.
func (s *server) writeLarge() error {
	if err := s.flush(); err != nil {
		return err
	}
	head, bw := wire.BeginResults(s.buf[:0])
	head, err := bw.EndBefore(head, 1, len(s.one))
	s.buf = head[:0]
	return s.send(err, head, s.one)
}

// flushStale writes the pending frame, if any, staleAfter after a frame's
// first result armed it, while a task runs on: it takes the input over from
// that task (watcher.takeOver), and while run holds it, between two tasks,
// tries again shortly. It has nothing to do once run waits for input, which
// it does with nothing pending, or has ended (idle). An error is kept for
// run, which returns it.
func (s *server) flushStale() {
	defer s.staleRuns.Done()
	// Disarmed first, so that a result added from now on, which this run
	// may miss, arms the timer again.
	s.armed.Store(false)
	for pause := staleRetry; !s.idle.Load(); pause = min(2*pause, staleAfter) {
		if s.watch.takeOver() {
			s.flush()
			s.watch.handBack()
			return
		}
		time.Sleep(pause)
	}
}

// staleRetry is how soon flushStale first tries again to take the input
// over: run holds it between two tasks, while it writes results itself, and,
// longer, while it reads the rest of a frame begun.
const staleRetry = 20 * time.Microsecond
