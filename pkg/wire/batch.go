package wire

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// AppendTasks appends one Tasks frame holding ts to b. On error (the batch
// would exceed MaxFrame) b is returned unchanged.
func AppendTasks(b []byte, ts []Task) ([]byte, error) {
	// Built as a sender using BeginTasks would build it, so that both give
	// identical frames.
	b, w := BeginTasks(b)
	for i := range ts {
		b = AppendTask(b, &ts[i])
	}
	return w.End(b, len(ts))
}

// AppendTask appends the encoding of one task, an element of a Tasks batch.
// Together with BeginTasks and BatchWriter.End it lets a sender encode tasks
// straight into its output buffer without building a []Task first.
func AppendTask(b []byte, t *Task) []byte {
	if !t.Lane.IsZero() {
		return AppendLaneTask(b, t.ID, t.Func, t.Bound, t.Lane)
	}
	return appendRaw(AppendTaskHead(b, t.ID, t.Func, t.Bound), t.Args)
}

// BatchWriter builds one Tasks, Results or Calls frame element by element.
type BatchWriter struct {
	start, countAt int
}

// BeginTasks starts a Tasks frame in b; append tasks with AppendTask and
// finish it with End.
func BeginTasks(b []byte) ([]byte, BatchWriter) { return beginBatch(b, TypeTasks) }

// BeginResults starts a Results frame in b; append results with AppendResult
// and finish it with End.
func BeginResults(b []byte) ([]byte, BatchWriter) { return beginBatch(b, TypeResults) }

func beginBatch(b []byte, t Type) ([]byte, BatchWriter) {
	b, start := beginFrame(b)
	b = appendArrayLen(b, 2)
	b = appendUint(b, uint64(t))
	return beginCount(b, start)
}

// beginCount appends the header of the batch array of the frame that
// starts at start: a fixed 5-byte array32 header, which End patches with
// the count in place.
func beginCount(b []byte, start int) ([]byte, BatchWriter) {
	return append(b, 0xdd, 0, 0, 0, 0), BatchWriter{start: start, countAt: len(b)}
}

// End finishes the frame after exactly n elements were appended to it.
func (w BatchWriter) End(b []byte, n int) ([]byte, error) { return w.EndBefore(b, n, 0) }

// EndBefore is End for a frame whose last rest bytes, completing its n
// elements, are not in b: the caller writes them right after the frame
// EndBefore returns, so that a large element goes out without being copied
// into b.
func (w BatchWriter) EndBefore(b []byte, n, rest int) ([]byte, error) {
	p := b[w.countAt+1:]
	p[0], p[1], p[2], p[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return endFrame(b, w.start, rest)
}

// EndSpin is End for a Tasks frame that also asks the worker to poll its
// input for up to spin after it has answered the frame's tasks, before it
// sleeps (docs/PROTOCOL.md §5, Spin). spin ≤ 0 asks for nothing: the frame
// is End's.
func (w BatchWriter) EndSpin(b []byte, n int, spin time.Duration) ([]byte, error) {
	if spin > 0 {
		b[w.start+HeaderSize] = 0x93 // [type, tasks] becomes [type, tasks, spin]
		b = appendUint(b, uint64(spin))
	}
	return w.End(b, n)
}

// Calls asks a worker for len(Args) calls of one function, each a task of
// its own: the i-th calls Func with Bound followed by Args[i], and is
// answered by an ordinary result with id First+i. It is Pool.map's chunk:
// the function and its bound arguments travel once for all the calls.
// Only a worker whose Hello has FeatureCalls is sent one.
type Calls struct {
	First uint64
	Func  string
	Bound []byte
	Args  [][]byte // each one encoded array, or nil for none
}

// AppendCalls appends one Calls frame holding c to b. On error (the frame
// would exceed MaxFrame) b is returned unchanged.
func AppendCalls(b []byte, c *Calls) ([]byte, error) {
	b, w := BeginCalls(b, c.First, c.Func, c.Bound)
	for _, a := range c.Args {
		b = appendRaw(b, a)
	}
	return w.End(b, len(c.Args))
}

// BeginCalls starts a Calls frame in b for calls of fn with bound, the first
// of which has task id first. Append each call's arguments, one encoded
// array each, and finish the frame with End.
func BeginCalls(b []byte, first uint64, fn string, bound []byte) ([]byte, BatchWriter) {
	b, start := beginFrame(b)
	b = appendArrayLen(b, 5)
	b = appendUint(b, uint64(TypeCalls))
	b = appendUint(b, first)
	b = AppendString(b, fn)
	b = appendRaw(b, bound)
	return beginCount(b, start)
}

// DecodeCalls decodes a Calls body into c, reusing the capacity of c.Args.
// Bound and Args alias body, which the caller must therefore keep unchanged
// while it uses them.
func DecodeCalls(body []byte, c *Calls) error {
	var d decoder
	*c = Calls{Args: c.Args[:0]}
	first, fn, bound, n, err := d.callsHead(body)
	if err != nil {
		return err
	}
	c.First, c.Func, c.Bound = first, string(fn), bound
	for range n {
		args, err := d.optRaw()
		if err != nil {
			return err
		}
		c.Args = append(c.Args, args)
	}
	return nil
}

// CallsSpan returns the id of the first call of a Calls body and how many
// calls it holds, without reading their arguments, which DecodeCalls
// checks.
func CallsSpan(body []byte) (first uint64, n int, err error) {
	var d decoder
	first, _, _, n, err = d.callsHead(body)
	if err != nil {
		return 0, 0, err
	}
	return first, n, nil
}

// callsHead opens a Calls body and reads what precedes the calls'
// arguments: the first call's id, the function's name and its bound
// arguments (aliasing body), and how many calls there are, whose ids it
// checks fit.
func (d *decoder) callsHead(body []byte) (first uint64, fn, bound []byte, n int, err error) {
	if err = d.open(body, TypeCalls, 5); err != nil {
		return
	}
	if first, err = d.uint(); err != nil {
		return
	}
	if fn, err = d.strBytes(); err != nil {
		return
	}
	if bound, err = d.optRaw(); err != nil {
		return
	}
	if n, err = d.arrayLen(); err != nil {
		return
	}
	if n > 0 && first > math.MaxUint64-uint64(n-1) {
		err = d.fail(fmt.Sprintf("%d calls from task id %d overflow the ids", n, first))
	}
	return
}

// plainLen is the length of the value at the start of b if it is a scalar
// or an array of up to 15 scalars, and whole; 0 otherwise.
func plainLen(b []byte) int {
	if len(b) > 0 && b[0]&0xf0 == 0x90 {
		return plainArray(b)
	}
	return scalarLen(b)
}

// plainArray is the length of the array at the start of b if it holds up
// to 15 scalars (see scalarLen), as a call's arguments mostly do; 0
// otherwise.
func plainArray(b []byte) int {
	if len(b) == 0 || b[0]&0xf0 != 0x90 {
		return 0
	}
	i := 1
	for range b[0] & 0x0f {
		n := scalarLen(b[i:])
		if n <= 0 {
			return 0
		}
		i += n
	}
	return i
}

// Tasks appends the tasks of c to dst, one per call.
func (c *Calls) Tasks(dst []Task) []Task {
	for i := range c.Args {
		dst = append(dst, c.Task(i))
	}
	return dst
}

// Task returns the task of call i of c.
func (c *Calls) Task(i int) Task {
	return Task{ID: c.First + uint64(i), Func: c.Func, Bound: c.Bound, Args: c.Args[i]}
}

// DecodeTasks decodes a Tasks body, appending to dst. Bound and Args alias
// body, which the caller must therefore keep unchanged while it uses them.
func DecodeTasks(body []byte, dst []Task) ([]Task, error) {
	dst, _, err := DecodeTasksSpin(body, dst)
	return dst, err
}

// DecodeTasksSpin is DecodeTasks that also returns how long the frame asks
// the worker to poll for the next one once it has answered these tasks (see
// BatchWriter.EndSpin): 0 when it asks for nothing.
func DecodeTasksSpin(body []byte, dst []Task) ([]Task, time.Duration, error) {
	var d decoder
	elems, err := d.openN(body, TypeTasks, 2)
	if err != nil {
		return dst, 0, err
	}
	n, err := d.arrayLen()
	if err != nil {
		return dst, 0, err
	}
	for range n {
		var t Task
		if err := d.task(&t, dst); err != nil {
			return dst, 0, err
		}
		dst = append(dst, t)
	}
	if elems < 3 {
		return dst, 0, nil
	}
	ns, err := d.uint()
	if err != nil {
		return dst, 0, err
	}
	return dst, time.Duration(min(ns, math.MaxInt64)), nil
}

func (d *decoder) task(t *Task, prev []Task) error {
	n, err := d.arrayLen()
	if err != nil {
		return err
	}
	if n < 4 {
		return d.fail("task of fewer than 4 elements")
	}
	if t.ID, err = d.uint(); err != nil {
		return err
	}
	name, err := d.strBytes()
	if err != nil {
		return err
	}
	// Batches mostly repeat one function: reuse its string, do not allocate.
	if len(prev) > 0 && prev[len(prev)-1].Func == string(name) {
		t.Func = prev[len(prev)-1].Func
	} else {
		t.Func = string(name)
	}
	if t.Bound, err = d.optRaw(); err != nil {
		return err
	}
	if t.Args, err = d.optRaw(); err != nil {
		return err
	}
	if n > 4 {
		if t.Lane, err = d.ref(); err != nil {
			return err
		}
		if !t.Lane.IsZero() && len(t.Args) > 0 {
			return d.fail("task with arguments both in its frame and in the lane")
		}
		n--
	}
	return d.skipN(n - 4)
}

// skipN skips n values: fields a newer peer added that this one ignores.
func (d *decoder) skipN(n int) error {
	for range n {
		if err := d.skip(0); err != nil {
			return err
		}
	}
	return nil
}

// optRaw reads a raw value, returning nil for msgpack nil.
func (d *decoder) optRaw() ([]byte, error) {
	if d.isNil() {
		return nil, nil
	}
	return d.raw()
}

// AppendResults appends one Results frame holding rs to b.
func AppendResults(b []byte, rs []Result) ([]byte, error) {
	b, w := BeginResults(b)
	for i := range rs {
		b = AppendResult(b, &rs[i])
	}
	return w.End(b, len(rs))
}

// AppendResult appends the encoding of one result, an element of a Results
// batch begun with BeginResults.
func AppendResult(b []byte, r *Result) []byte {
	if r.Err == nil && !r.Lane.IsZero() {
		return AppendLaneResult(b, r.ID, r.Nanos, r.Lane)
	}
	b = appendArrayLen(b, 4)
	b = appendUint(b, r.ID)
	if r.Err != nil {
		b = appendNil(b)
		b = appendError(b, r.Err)
	} else {
		b = appendRaw(b, r.Value)
		b = appendNil(b)
	}
	return appendUint(b, r.Nanos)
}

// DecodeResults decodes a Results body, appending to dst. Values alias body;
// the Value of a failed result is nil.
func DecodeResults(body []byte, dst []Result) ([]Result, error) {
	var d decoder
	if err := d.open(body, TypeResults, 2); err != nil {
		return dst, err
	}
	n, err := d.arrayLen()
	if err != nil {
		return dst, err
	}
	for range n {
		var r Result
		if !d.plainResult(&r) {
			if err := d.result(&r); err != nil {
				return dst, err
			}
		}
		dst = append(dst, r)
	}
	return dst, nil
}

// plainResult reads, if the next element is one, the most common result:
// four elements, an id, a value that is one scalar (no array, map or
// extension), no error, and a time, in unsigned integers of any width.
// It reports whether it did; if not, it has read nothing, and result reads
// the element, whatever it is. Both read a plain result alike (FuzzPlain).
func (d *decoder) plainResult(r *Result) bool {
	b := d.b[d.i:]
	if len(b) < 5 || b[0] != 0x94 {
		return false
	}
	id, i := plainUint(b, 1)
	if i < 0 {
		return false
	}
	end := i + scalarLen(b[i:])
	if end <= i || end >= len(b) || b[end] != 0xc0 {
		return false
	}
	nanos, next := plainUint(b, end+1)
	if next < 0 {
		return false
	}
	r.ID, r.Value, r.Nanos = id, b[i:end:end], nanos
	d.i += next
	return true
}

// plainUint reads the unsigned integer at b[i:] (a positive fixint or uint
// 8 to 64) and returns it with the index after it; -1 if there is none.
func plainUint(b []byte, i int) (uint64, int) {
	if i >= len(b) {
		return 0, -1
	}
	c := b[i]
	if c <= 0x7f {
		return uint64(c), i + 1
	}
	if c < 0xcc || c > 0xcf {
		return 0, -1
	}
	n := 1 << (c - 0xcc)
	p := b[i+1:]
	if len(p) < n {
		return 0, -1
	}
	switch n {
	case 1:
		return uint64(p[0]), i + 2
	case 2:
		return uint64(binary.BigEndian.Uint16(p)), i + 3
	case 4:
		return uint64(binary.BigEndian.Uint32(p)), i + 5
	}
	return binary.BigEndian.Uint64(p), i + 9
}

// scalarLen is the length of the scalar at the start of b (nil, a boolean,
// a number, a string or a binary) if it is one and whole; 0 otherwise.
func scalarLen(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	c := b[0]
	var n int
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
		n = 1
	case c >= 0xa0 && c <= 0xbf:
		n = 1 + int(c&0x1f)
	case c == 0xcc || c == 0xd0:
		n = 2
	case c == 0xcd || c == 0xd1:
		n = 3
	case c == 0xca || c == 0xce || c == 0xd2:
		n = 5
	case c == 0xcb || c == 0xcf || c == 0xd3:
		n = 9
	case (c == 0xc4 || c == 0xd9) && len(b) >= 2:
		n = 2 + int(b[1])
	case (c == 0xc5 || c == 0xda) && len(b) >= 3:
		n = 3 + int(binary.BigEndian.Uint16(b[1:]))
	case (c == 0xc6 || c == 0xdb) && len(b) >= 5:
		n = 5 + int(binary.BigEndian.Uint32(b[1:]))
	default:
		return 0
	}
	if n > len(b) {
		return 0
	}
	return n
}

func (d *decoder) result(r *Result) error {
	n, err := d.arrayLen()
	if err != nil {
		return err
	}
	if n < 4 {
		return d.fail("result of fewer than 4 elements")
	}
	if r.ID, err = d.uint(); err != nil {
		return err
	}
	if r.Value, err = d.raw(); err != nil {
		return err
	}
	if !d.isNil() {
		if r.Err, err = d.error(); err != nil {
			return err
		}
		// A failed result has no value (PROTOCOL.md §5); dropping one a
		// peer sent anyway keeps decode∘encode stable.
		r.Value = nil
	}
	if r.Nanos, err = d.uint(); err != nil {
		return err
	}
	if n > 4 {
		if r.Lane, err = d.ref(); err != nil {
			return err
		}
		switch {
		case r.Err != nil:
			r.Lane = Ref{} // as for the value: a failed result has none
		case !r.Lane.IsZero():
			if len(r.Value) != 1 || r.Value[0] != 0xc0 {
				return d.fail("result with a value both in its frame and in the lane")
			}
			r.Value = nil
		}
		n--
	}
	return d.skipN(n - 4)
}

func (d *decoder) error() (*Error, error) {
	n, err := d.arrayLen()
	if err != nil {
		return nil, err
	}
	if n < 2 {
		return nil, d.fail("error of fewer than 2 elements")
	}
	var e Error
	if e.Kind, err = d.str(); err != nil {
		return nil, err
	}
	if e.Message, err = d.str(); err != nil {
		return nil, err
	}
	if n > 2 {
		if e.Stack, err = d.str(); err != nil {
			return nil, err
		}
	}
	if n > 3 {
		if e.Code, err = d.str(); err != nil {
			return nil, err
		}
	}
	return &e, d.skipN(n - 4)
}
