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
func (s *server) add(now, more bool) error {
	s.mu.Lock()
	err := s.addLocked(now, more)
	s.mu.Unlock() // not deferred: add runs once a task, and a defer costs as much as the rest
	return err
}

func (s *server) addLocked(now, more bool) error {
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
	if more && !s.armed {
		// At most one flushStale per staleAfter, however many frames go
		// out meanwhile: it flushes whatever is pending then.
		s.armed = true
		s.staleRuns.Add(1)
		s.stale.Reset(staleAfter)
	}
	return s.err
}

// pending is how many results wait in the pending frame.
func (s *server) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// flushNow writes the pending frame, if any.
func (s *server) flushNow() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flush()
}

// flush writes the pending frame, if any. s.mu must be held.
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
// returned from then on. s.mu must be held.
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
// frame of its own, from s.one rather than copied into s.buf. s.mu must be
// held.
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
// first result armed it, while a task runs on. An error is kept for run,
// which returns it.
func (s *server) flushStale() {
	defer s.staleRuns.Done()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armed = false
	if !s.done {
		s.flush()
	}
}
