package pool

import (
	"bytes"
	"fmt"

	"github.com/brinehq/brine/pkg/lane"
	"github.com/brinehq/brine/pkg/wire"
)

// useLanes: workers are given shared-memory lanes for large payloads
// (docs/PROTOCOL.md §5.1). Tests turn it off to cover the frames alone.
var useLanes = true

// newLanes makes the lanes for a worker about to start, or returns nil when
// the system will not: the worker then gets all its payloads in frames.
func (b *processes) newLanes() *lane.Pair {
	if !useLanes {
		return nil
	}
	p, err := lane.New(0)
	if err != nil {
		b.p.opts.Logger.Debug().Err(err).Msg("no lanes for large payloads: they go in frames")
		return nil
	}
	return p
}

// takeLanes keeps the worker's lanes if its Hello says it mapped them, and
// lets them go otherwise. The file is the worker's now: only the mapping
// is kept.
func (w *proc) takeLanes() {
	if w.lanes == nil {
		return
	}
	w.lanes.CloseFile()
	if !w.hello.Has(wire.FeatureLanes) {
		w.closeLanes()
		return
	}
	w.down, w.up = w.lanes.Coordinator()
}

// closeLanes unmaps the worker's lanes, once neither its sender nor its
// receiver runs.
func (w *proc) closeLanes() {
	if w.lanes != nil {
		w.lanes.Close()
	}
	w.lanes, w.down, w.up = nil, nil, nil
}

// appendTaskLaned appends it as an element of a Tasks frame, its
// arguments in the down lane when the worker has one, they are large
// enough, and the lane has room; in the frame otherwise. Their size is known only once
// encoded: the worker's first call tries the lane, and each after it
// follows the one before. It returns the bytes placed in the lane.
func (w *proc) appendTaskLaned(buf []byte, it *item) (_ []byte, laned int, _ error) {
	want := w.argsSize
	if want == 0 {
		want = lane.MinPayload
	}
	if w.down == nil || want < lane.MinPayload {
		return w.appendInFrame(buf, it)
	}
	pos, room, ok := w.down.Reserve(lane.Estimate(want))
	if !ok {
		return w.appendInFrame(buf, it)
	}
	c := it.call
	args, err := c.AppendArgs(room)
	if err != nil {
		return buf, 0, err
	}
	w.argsSize = len(args)
	// Outgrown, the arguments were copied elsewhere: they go in the frame
	// from there, as small ones do.
	if !lane.InPlace(args, room) {
		return append(wire.AppendTaskHead(buf, it.id, c.Func(), c.Bound()), args...), 0, nil
	}
	ref := w.down.Commit(pos, len(args))
	return wire.AppendLaneTask(buf, it.id, c.Func(), c.Bound(), wire.Ref(ref)), len(args), nil
}

// appendInFrame appends it as an element of a Tasks frame with its
// arguments, and notes their size.
func (w *proc) appendInFrame(buf []byte, it *item) (_ []byte, laned int, _ error) {
	at := len(buf)
	buf, err := appendTask(buf, it)
	w.argsSize = max(len(buf)-at, 1)
	return buf, 0, err
}

// fromLane points the values of the results of rs that are in the up lane
// at their bytes there, and returns the position up to which the lane is
// to be released once they are delivered, 0 for none.
func (w *proc) fromLane(rs []wire.Result) (end uint64, laned int, err error) {
	for i := range rs {
		r := &rs[i]
		if r.Lane.IsZero() {
			continue
		}
		if w.up == nil {
			return 0, 0, fmt.Errorf("%w: result for task %d in a lane the worker was not given", wire.ErrMalformed, r.ID)
		}
		v, err := w.up.Slice(lane.Ref(r.Lane))
		if err != nil {
			return 0, 0, fmt.Errorf("%w: result for task %d: %w", wire.ErrMalformed, r.ID, err)
		}
		r.Value = v
		end = lane.Ref(r.Lane).End()
		laned += len(v)
	}
	return end, laned, nil
}

// keepLaned copies out of the lane the values of rs whose runs may keep
// them (not runState.borrow): the lane is written over once released.
func keepLaned(rs []wire.Result, its []*item) {
	for i := range rs {
		if !rs[i].Lane.IsZero() && !its[i].run.borrow {
			rs[i].Value = bytes.Clone(rs[i].Value)
		}
	}
}
