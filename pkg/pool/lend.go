package pool

import "runtime"

// A receiver parks when its worker holds nothing and it reads in blocking
// mode (transport.Worker.Blocks), and no more often: a parked receiver is woken by
// the sender before a batch goes, a goroutine wake-up that a pool running
// batch after batch would pay for nothing. It reads on when a task is sent
// to its worker, when the worker ends (its stdout and stderr have) and when
// the worker is to stop; while a caller has the reading, it waits for it to
// come back. A batch the sender sends the worker meanwhile is read by the
// caller too, until its own result is in. The caller gives the reading
// back then, or when the output fails: the receiver then finds the failure
// (rx.end) and handles it as its own. Everything else a call may meet (its
// worker dying, its context ending, the pool closing) is handled as for
// any call in flight: the worker is killed or ends, the read sees the end
// of its output and gives the reading back, and the receiver salvages the
// call.

// lending is who reads a worker's output, its receiver or the caller of a
// lone call (see direct.go), and the hand-off between them. Its fields are
// guarded by the proc's mu, as the tasks in flight are: whether the
// reading may rest with nobody depends on them (idleLocked).
type lending struct {
	state  rxState
	wanted bool          // the receiver waits for a lent reading to come back
	taking bool          // the sender holds tasks for the worker that it has yet to track
	wake   chan struct{} // tells a parked receiver to read on, or that its lent reading is back
}

// rxState is who reads a worker's output.
type rxState uint8

const (
	rxReading rxState = iota // the receiver goroutine
	rxParking                // the receiver, about to park
	rxParked                 // nobody: the receiver waits, and a caller may borrow the reading
	rxLent                   // a caller, for its own result
)

// idleLocked is the one condition for the reading to rest with nobody,
// parked, free for a caller to borrow: the worker holds nothing, its output
// is sound and read in blocking mode (so a caller reads it on its own
// thread) with nothing read ahead, and lone calls may go directly. rx is the
// reading, the receiver's or a borrower's. w.mu must be held.
func (w *proc) idleLocked(rx *receiver) bool {
	return w.n.Load() == 0 && rx.end == nil && rx.blocking && !w.conn.Buffered() && w.b.p.opts.mayDirect()
}

// setRx moves w's reading to state, counting the pool's parked receivers.
// w.mu must be held.
func (w *proc) setRx(state rxState) {
	switch {
	case state == rxParked && w.lend.state != rxParked:
		w.b.parked.Add(1)
	case state != rxParked && w.lend.state == rxParked:
		w.b.parked.Add(-1)
	}
	w.lend.state = state
}

// borrow takes the reading of w's output for it, which it registers in
// flight, if w's receiver is parked and its sender is not about to send it
// tasks.
func (w *proc) borrow(it *item) bool {
	for tries := 0; ; tries++ {
		w.mu.Lock()
		if w.lend.state == rxParking && w.n.Load() == 0 && tries < maxParkingWait {
			// Its receiver took the last results and delivers them as it
			// parks: the caller may have been released first.
			w.mu.Unlock()
			runtime.Gosched()
			continue
		}
		if w.lend.state != rxParked || w.n.Load() != 0 || w.lend.taking {
			w.mu.Unlock()
			return false
		}
		w.setRx(rxLent)
		it.attempts++
		w.pushLocked([]*item{it}, 1, int64(it.size))
		w.mu.Unlock()
		return true
	}
}

// giveBack ends a borrowing of w's reading: the receiver gets it back,
// woken, unless the worker holds nothing, its output is sound and read in
// blocking mode and the receiver has not asked for it, when it stays
// parked.
func (w *proc) giveBack() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.lend.wanted && w.idleLocked(w.rx) {
		w.setRx(rxParked)
		return
	}
	w.setRx(rxReading)
	w.lend.wanted = false
	signal(w.lend.wake)
}

// readOn has w's receiver read, for a batch about to be sent: a parked one
// is woken, and a lent reading comes back once its borrower is done. w.mu
// must be held.
func (w *proc) readOn() {
	switch w.lend.state {
	case rxParking, rxParked:
		w.setRx(rxReading)
		signal(w.lend.wake)
	case rxLent:
		w.lend.wanted = true
	}
}

// parkLocked parks the receiver, as it takes the results of a frame, if
// the worker then holds nothing and the receiver reads in blocking mode:
// before their runs are released, so that a caller they release finds it
// parked. rx is the reading, the receiver's or a borrower's. w.mu must be
// held.
func (w *proc) parkLocked(rx *receiver) {
	rx.parked = false
	if w.lend.state != rxReading || !w.idleLocked(rx) {
		return
	}
	select {
	case <-w.lend.wake: // stale: from a wake-up the receiver was already awake for
	default:
	}
	w.setRx(rxParking)
	rx.parked = true
}

// park waits, once the receiver parked (parkLocked), until it is to read
// again, lending its reading meanwhile.
func (w *proc) park() {
	w.rx.parked = false
	w.mu.Lock()
	if w.lend.state != rxParking { // woken already
		w.mu.Unlock()
		return
	}
	w.setRx(rxParked)
	w.mu.Unlock()
	ended, stop := w.conn.Ended(), w.stop
	for {
		select {
		case <-w.lend.wake:
		case <-ended:
			ended = nil
		case <-stop:
			stop = nil
		}
		w.mu.Lock()
		switch w.lend.state {
		case rxParked: // the worker ended or is to stop
			w.setRx(rxReading)
			w.mu.Unlock()
			return
		case rxReading: // woken, or given back
			w.mu.Unlock()
			return
		}
		w.lend.wanted = true // lent: given back with a wake-up
		w.mu.Unlock()
	}
}
