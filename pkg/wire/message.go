package wire

import (
	"fmt"
	"slices"
)

// Version is the protocol version this package speaks. Peers of different
// versions refuse each other at the handshake (docs/PROTOCOL.md §3).
const Version = 1

// Type identifies a message; it is the first element of every body.
type Type uint8

// Message types (docs/PROTOCOL.md §4).
const (
	TypeHello    Type = 1 // worker → coordinator, first frame
	TypeWelcome  Type = 2 // coordinator → worker, answer to Hello
	TypeTasks    Type = 3 // coordinator → worker, a batch of tasks
	TypeResults  Type = 4 // worker → coordinator, a batch of results
	TypeShutdown Type = 5 // coordinator → worker, finish and exit
	TypeCalls    Type = 6 // coordinator → worker, calls of one function; only to a worker with FeatureCalls
	TypeCancel   Type = 7 // coordinator → worker, tasks to skip or stop; only to a worker with FeatureCancel
)

// FeatureCalls, in a Hello's Features, says that the worker takes Calls
// messages (docs/PROTOCOL.md §4).
const FeatureCalls = "calls"

// FeatureLanes, in a Hello's Features, says that the worker mapped the
// shared-memory lanes the coordinator passed it, and takes and sends
// payloads by Ref (docs/PROTOCOL.md §5.1).
const FeatureLanes = "lanes"

// FeatureCancel, in a Hello's Features, says that the worker takes Cancel
// messages (docs/PROTOCOL.md §5.2).
const FeatureCancel = "cancel"

func (t Type) String() string {
	switch t {
	case TypeHello:
		return "hello"
	case TypeWelcome:
		return "welcome"
	case TypeTasks:
		return "tasks"
	case TypeResults:
		return "results"
	case TypeShutdown:
		return "shutdown"
	case TypeCalls:
		return "calls"
	case TypeCancel:
		return "cancel"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Hello is the worker's first frame: what it speaks and what it can run.
type Hello struct {
	Version int      // protocol version of the worker
	PID     int      // the worker's process id
	Funcs   []string // names of the functions it has registered, sorted
	// Features are the optional messages the worker takes, such as
	// FeatureCalls. A Hello without them is encoded with 4 elements, as
	// before features existed.
	Features []string
}

// Has reports whether the worker declared feature f.
func (h Hello) Has(f string) bool { return slices.Contains(h.Features, f) }

// Welcome is the coordinator's answer to a Hello it accepts.
type Welcome struct {
	Version int // protocol version of the coordinator
	Worker  int // the id the coordinator gives this worker, for its logs
}

// Task asks a worker to call the function registered as Func with the
// positional arguments Bound followed by Args. Bound and Args are each one
// encoded msgpack array (or empty for none); Bound is the part a descriptor
// fixes in advance, as functools.partial does.
//
// A task whose arguments were placed in the down lane has them at Lane,
// and Args empty.
type Task struct {
	ID    uint64
	Func  string
	Bound []byte
	Args  []byte
	Lane  Ref
}

// Result answers the Task of the same ID: Value is the encoded return value
// when Err is nil. Nanos is how long the function ran in the worker.
// A value placed in the up lane is at Lane, and Value is empty.
type Result struct {
	ID    uint64
	Value []byte
	Err   *Error
	Nanos uint64
	Lane  Ref
}

// Ref names a payload placed in a shared-memory lane (docs/PROTOCOL.md
// §5.1): Len bytes at the absolute position Pos of the ring. The zero Ref
// names none.
type Ref struct {
	Pos, Len uint64
}

// IsZero reports whether r names no payload.
func (r Ref) IsZero() bool { return r.Len == 0 }

// PeekType returns the type of the message in body without decoding the rest.
func PeekType(body []byte) (Type, error) {
	d := decoder{b: body}
	n, err := d.arrayLen()
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, d.fail("empty message array")
	}
	t, err := d.uint()
	if err != nil {
		return 0, err
	}
	if t > 0xff {
		return 0, d.fail(fmt.Sprintf("message type %d", t))
	}
	return Type(t), nil
}

// open checks that body is an array of at least n elements whose first is
// type t, and positions d on body after the type.
func (d *decoder) open(body []byte, t Type, n int) error {
	_, err := d.openN(body, t, n)
	return err
}

// openN is open that also returns how many elements the message has.
func (d *decoder) openN(body []byte, t Type, n int) (int, error) {
	*d = decoder{b: body}
	got, err := d.arrayLen()
	if err != nil {
		return 0, err
	}
	if got < n {
		return 0, d.fail(fmt.Sprintf("%s message of %d elements, want %d", t, got, n))
	}
	typ, err := d.uint()
	if err != nil {
		return 0, err
	}
	// Compare before narrowing: type 259 must not pass for 3.
	if typ != uint64(t) {
		return 0, d.fail(fmt.Sprintf("want %s message, found type %d", t, typ))
	}
	return got, nil
}

// AppendHello appends a Hello frame to b.
func AppendHello(b []byte, h Hello) ([]byte, error) {
	b, start := beginFrame(b)
	if len(h.Features) > 0 {
		b = appendArrayLen(b, 5)
	} else {
		b = appendArrayLen(b, 4)
	}
	b = appendUint(b, uint64(TypeHello))
	b = AppendInt(b, int64(h.Version))
	b = AppendInt(b, int64(h.PID))
	b = appendStrings(b, h.Funcs)
	if len(h.Features) > 0 {
		b = appendStrings(b, h.Features)
	}
	return endFrame(b, start, 0)
}

func appendStrings(b []byte, ss []string) []byte {
	b = appendArrayLen(b, len(ss))
	for _, s := range ss {
		b = AppendString(b, s)
	}
	return b
}

// DecodeHello decodes a Hello body.
func DecodeHello(body []byte) (Hello, error) {
	var h Hello
	var d decoder
	n, err := d.openN(body, TypeHello, 4)
	if err != nil {
		return h, err
	}
	v, err := d.int()
	if err != nil {
		return h, err
	}
	h.Version = int(v)
	if v, err = d.int(); err != nil {
		return h, err
	}
	h.PID = int(v)
	if h.Funcs, err = d.strings(); err != nil {
		return h, err
	}
	if n > 4 {
		if h.Features, err = d.strings(); err != nil {
			return h, err
		}
		if len(h.Features) == 0 {
			h.Features = nil // as AppendHello writes it: no fifth element
		}
	}
	return h, nil
}

// strings reads an array of str.
func (d *decoder) strings() ([]string, error) {
	n, err := d.arrayLen()
	if err != nil {
		return nil, err
	}
	// n is bounded by the bytes left, but a string header is 16 bytes per
	// 1-byte empty string: do not let the count size the allocation.
	ss := make([]string, 0, min(n, 256))
	for range n {
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		ss = append(ss, s)
	}
	return ss, nil
}

// AppendWelcome appends a Welcome frame to b.
func AppendWelcome(b []byte, w Welcome) ([]byte, error) {
	b, start := beginFrame(b)
	b = appendArrayLen(b, 3)
	b = appendUint(b, uint64(TypeWelcome))
	b = AppendInt(b, int64(w.Version))
	b = AppendInt(b, int64(w.Worker))
	return endFrame(b, start, 0)
}

// DecodeWelcome decodes a Welcome body.
func DecodeWelcome(body []byte) (Welcome, error) {
	var w Welcome
	var d decoder
	if err := d.open(body, TypeWelcome, 3); err != nil {
		return w, err
	}
	v, err := d.int()
	if err != nil {
		return w, err
	}
	w.Version = int(v)
	if v, err = d.int(); err != nil {
		return w, err
	}
	w.Worker = int(v)
	return w, nil
}

// AppendShutdown appends a Shutdown frame to b.
func AppendShutdown(b []byte) []byte {
	b, start := beginFrame(b)
	b = appendArrayLen(b, 1)
	b = appendUint(b, uint64(TypeShutdown))
	b, _ = endFrame(b, start, 0) // three bytes cannot exceed MaxFrame
	return b
}
