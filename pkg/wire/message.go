package wire

import "fmt"

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
)

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
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Hello is the worker's first frame: what it speaks and what it can run.
type Hello struct {
	Version int      // protocol version of the worker
	PID     int      // the worker's process id
	Funcs   []string // names of the functions it has registered, sorted
}

// Welcome is the coordinator's answer to a Hello it accepts.
type Welcome struct {
	Version int // protocol version of the coordinator
	Worker  int // the id the coordinator gives this worker, for its logs
}

// Task asks a worker to call the function registered as Func with the
// positional arguments Bound followed by Args. Bound and Args are each one
// encoded msgpack array (or empty for none); Bound is the part a descriptor
// fixes in advance, as functools.partial does.
type Task struct {
	ID    uint64
	Func  string
	Bound []byte
	Args  []byte
}

// Result answers the Task of the same ID: Value is the encoded return value
// when Err is nil. Nanos is how long the function ran in the worker.
type Result struct {
	ID    uint64
	Value []byte
	Err   *Error
	Nanos uint64
}

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
	*d = decoder{b: body}
	got, err := d.arrayLen()
	if err != nil {
		return err
	}
	if got < n {
		return d.fail(fmt.Sprintf("%s message of %d elements, want %d", t, got, n))
	}
	typ, err := d.uint()
	if err != nil {
		return err
	}
	// Compare before narrowing: type 259 must not pass for 3.
	if typ != uint64(t) {
		return d.fail(fmt.Sprintf("want %s message, found type %d", t, typ))
	}
	return nil
}

// AppendHello appends a Hello frame to b.
func AppendHello(b []byte, h Hello) ([]byte, error) {
	b, start := beginFrame(b)
	b = appendArrayLen(b, 4)
	b = appendUint(b, uint64(TypeHello))
	b = AppendInt(b, int64(h.Version))
	b = AppendInt(b, int64(h.PID))
	b = appendArrayLen(b, len(h.Funcs))
	for _, f := range h.Funcs {
		b = AppendString(b, f)
	}
	return endFrame(b, start, 0)
}

// DecodeHello decodes a Hello body.
func DecodeHello(body []byte) (Hello, error) {
	var h Hello
	var d decoder
	if err := d.open(body, TypeHello, 4); err != nil {
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
	n, err := d.arrayLen()
	if err != nil {
		return h, err
	}
	// n is bounded by the bytes left, but a string header is 16 bytes per
	// 1-byte empty string: do not let the count size the allocation.
	h.Funcs = make([]string, 0, min(n, 256))
	for range n {
		s, err := d.str()
		if err != nil {
			return h, err
		}
		h.Funcs = append(h.Funcs, s)
	}
	return h, nil
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
