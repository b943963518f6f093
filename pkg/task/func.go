package task

import (
	"context"
	"fmt"

	"github.com/brinehq/brine/pkg/wire"
)

// Func is a typed handle to a function registered with one argument of type
// A (after any bound ones) and a result of type R. Its zero value is not
// usable; get one from Register or Bind. A Func is safe for concurrent use.
type Func[A, R any] struct {
	name  string
	bound []byte                              // encoded array of bound arguments; nil for none
	local func(context.Context, A) (R, error) // the Go function, bound arguments applied
	err   error                               // why Bind could not encode its argument
}

// Register records fn under name in the Default registry and returns its
// handle, which is what callers pass to a pool (pool.Map, pool.Submit,
// pool.Stream) so that the compiler checks argument and result types.
//
// Call it from a package variable initialiser, so that every binary built
// from the same code, coordinator and worker alike, has the same functions
// under the same names:
//
//	var Resize = task.Register("img.resize", resize)
//
// A function registered later, from main or a test, is unknown to self-exec
// workers, which become workers before main runs; a process pool refuses its
// calls before sending anything.
//
// It panics if name is empty or already registered: qualify names with the
// package ("img.resize") so that two packages cannot collide.
//
// In process mode A and R cross the process boundary as msgpack; thread
// mode passes values as they are. So that both modes see the same values,
// Register also panics, naming the field at fault, if a value of A or R
// would not come back from msgpack as it left: if it holds, through
// structs, pointers, slices, arrays and map keys and values, an unexported
// field (it would arrive as zero), a func, a channel, an unsafe.Pointer, a
// uintptr, a complex number or an interface other than any and error.
// Fields tagged msgpack:"-" are skipped on purpose, and a type with its own
// codec (msgpack's EncodeMsgpack or MarshalMsgpack, MarshalBinary or
// MarshalText, with the matching decoder), such as time.Time, travels as it
// encodes itself. An any arrives as msgpack decodes into an any (int8…int64,
// string, []any, map[string]any…), an error as errors.New of its message; a
// pool refuses a func or a channel in an any when the call is made.
func Register[A, R any](name string, fn func(context.Context, A) (R, error)) *Func[A, R] {
	mustCross[A](name, "argument")
	mustCross[R](name, "result")
	Default.add(&Entry{name: name, arity: 1, invoke: func(ctx context.Context, args rawArgs, out []byte) ([]byte, error) {
		a, err := decodeArg[A](args[0])
		if err != nil {
			return out, badArg(name, 1, err)
		}
		r, err := fn(ctx, a)
		if err != nil {
			return out, err
		}
		return encodeResult(name, out, r)
	}})
	return &Func[A, R]{name: name, local: fn}
}

func badArg(name string, pos int, err error) error {
	return &wire.Error{Kind: wire.KindBadArgs, Message: fmt.Sprintf("%s: argument %d: %v", name, pos, err)}
}

func encodeResult[R any](name string, out []byte, r R) ([]byte, error) {
	res, err := appendArg(out, r)
	if err != nil {
		return out, &wire.Error{Kind: wire.KindEncode, Message: fmt.Sprintf("%s: result %T: %v", name, r, err)}
	}
	return res, nil
}

// Name returns the name the function is registered under.
func (f *Func[A, R]) Name() string { return f.name }

// Bound returns the encoded msgpack array of the arguments bound by Bind,
// or nil.
func (f *Func[A, R]) Bound() []byte { return f.bound }

// Err returns why the handle cannot be called (Bind could not encode its
// argument), or nil.
func (f *Func[A, R]) Err() error { return f.err }

// Call returns one invocation of f with argument a, for (*pool.Pool).Run.
// Nothing is encoded until a pool ships it to a worker; pool.Map, Stream and
// Submit encode the argument up front instead, so that one msgpack cannot
// encode fails before anything is sent.
func (f *Func[A, R]) Call(a A) Call { return &call[A, R]{f: f, a: a} }

// Decode decodes a result value of f that a worker encoded (pool.Result.Raw).
// On failure, such as a result from a worker built from other code, it
// returns an error naming the function.
func (f *Func[A, R]) Decode(raw []byte) (R, error) {
	r, err := decodeArg[R](raw)
	if err != nil {
		err = fmt.Errorf("task: decoding the result of %s: %w", f.name, err)
	}
	return r, err
}

// Func2 is a typed handle to a function registered with two arguments, B and
// A. Bind fixes B, the way functools.partial fixes a leading argument, and
// returns a Func of A, which is what pool.Map and pool.Submit take; Call
// makes one invocation with both arguments. Its zero value is not usable;
// get one from Register2. A Func2 is safe for concurrent use.
type Func2[B, A, R any] struct {
	name  string
	local func(context.Context, B, A) (R, error)
}

// Register2 records fn under name in the Default registry, as Register does,
// for a function of two arguments; the first is the one Bind fixes. It
// checks B, A and R as Register checks its types.
func Register2[B, A, R any](name string, fn func(context.Context, B, A) (R, error)) *Func2[B, A, R] {
	mustCross[B](name, "argument 1")
	mustCross[A](name, "argument 2")
	mustCross[R](name, "result")
	Default.add(&Entry{name: name, arity: 2, invoke: func(ctx context.Context, args rawArgs, out []byte) ([]byte, error) {
		b, err := decodeArg[B](args[0])
		if err != nil {
			return out, badArg(name, 1, err)
		}
		a, err := decodeArg[A](args[1])
		if err != nil {
			return out, badArg(name, 2, err)
		}
		r, err := fn(ctx, b, a)
		if err != nil {
			return out, err
		}
		return encodeResult(name, out, r)
	}})
	return &Func2[B, A, R]{name: name, local: fn}
}

// Name returns the name the function is registered under.
func (f *Func2[B, A, R]) Name() string { return f.name }

// Call returns one invocation of f with arguments b and a, for a run whose
// first argument varies from call to call; it is Bind(f, b).Call(a), so b is
// encoded now and an unencodable b makes a pool refuse the call.
func (f *Func2[B, A, R]) Call(b B, a A) Call { return Bind(f, b).Call(a) }

// Decode decodes a result value of f that a worker encoded.
func (f *Func2[B, A, R]) Decode(raw []byte) (R, error) {
	return (&Func[A, R]{name: f.name}).Decode(raw)
}

// Bind returns a handle to f with its first argument fixed to b. The
// descriptor carries b encoded, so no closure crosses the process boundary.
// If b cannot be encoded (a func, a channel), or B is an interface and b
// holds a value that Register would refuse, the returned handle reports it
// from Err, and a pool refuses its calls before sending anything.
func Bind[B, A, R any](f *Func2[B, A, R], b B) *Func[A, R] {
	h := &Func[A, R]{name: f.name, local: func(ctx context.Context, a A) (R, error) { return f.local(ctx, b, a) }}
	if err := checkHeld(b); err != nil {
		h.err = fmt.Errorf("task: cannot bind %T to %s: %w", b, f.name, err)
		return h
	}
	bound, err := appendArg([]byte{0x91}, b) // 0x91: an array of one element
	if err != nil {
		h.err = fmt.Errorf("task: cannot bind %T to %s: %w (bind only values msgpack can encode; functions travel by name)", b, f.name, err)
	}
	h.bound = bound
	return h
}
