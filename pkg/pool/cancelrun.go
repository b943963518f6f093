package pool

import "github.com/brinehq/brine/pkg/wire"

// cancelRun asks the workers holding tasks of rs, whose context has ended,
// to skip those they have yet to run and to cancel the one they run
// (docs/PROTOCOL.md §5.2): their answers, of kind cancelled, come within
// about one task's time instead of after every queued task has run, and
// the grace period, then a kill, is left for tasks that ignore their
// context.
func (b *processes) cancelRun(rs *runState) {
	type send struct {
		w     *proc
		frame []byte
	}
	var sends []send
	b.eachProc(func(w *proc) {
		if frame := w.cancelFrame(rs); frame != nil {
			sends = append(sends, send{w, frame})
		}
	})
	// Outside the slots' locks: a worker whose input is full takes it in
	// as it runs (its watcher reads on while a task runs).
	for _, s := range sends {
		s.w.conn.Send(s.frame) // a worker that died or closed is salvaged as usual
	}
}

// cancelFrame returns a Cancel frame naming the tasks of rs that w holds,
// or nil when it holds none or does not take Cancels.
func (w *proc) cancelFrame(rs *runState) []byte {
	if !w.hello.Has(wire.FeatureCancel) {
		return nil
	}
	var spans []wire.Span
	w.mu.Lock()
	w.inflight.each(func(it *item) bool {
		if it.run != rs {
			return true
		}
		last := it.id + uint64(it.count()) - 1
		if n := len(spans); n > 0 && spans[n-1].Last+1 == it.id {
			spans[n-1].Last = last // consecutive ids, as a run's mostly are
		} else {
			spans = append(spans, wire.Span{First: it.id, Last: last})
		}
		return true
	})
	w.mu.Unlock()
	if len(spans) == 0 {
		return nil
	}
	frame, err := wire.AppendCancel(nil, spans)
	if err != nil {
		return nil // too many to name: the grace period and the kill remain
	}
	return frame
}

// cancelRun does nothing in thread mode: the tasks of rs see their context
// cancelled, and those not started are cancelled as they are taken.
func (t *threads) cancelRun(*runState) {}
