package pool

import (
	"bytes"
	"fmt"

	"github.com/brinehq/brine/pkg/lane"
	"github.com/brinehq/brine/pkg/wire"
)

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
