package task

import (
	"context"
	"fmt"
)

// Call is one invocation of a registered function, not yet serialized. A
// pool either runs it in-process with Run, or ships its descriptor (Func,
// Bound) and its encoded arguments (AppendArgs) to a worker.
type Call interface {
	// Func returns the registered name of the function.
	Func() string
	// Bound returns the encoded array of bound arguments, or nil.
	Bound() []byte
	// AppendArgs appends the encoded array of the call's own arguments to b.
	// On failure it returns b unchanged and an error saying what to change.
	AppendArgs(b []byte) ([]byte, error)
	// Run calls the Go function directly, with no serialization.
	Run(ctx context.Context) (any, error)
	// Err reports why the call cannot be made (see Func.Err), or nil.
	Err() error
}

type call[A, R any] struct {
	f *Func[A, R]
	a A
}

func (c *call[A, R]) Func() string  { return c.f.name }
func (c *call[A, R]) Bound() []byte { return c.f.bound }
func (c *call[A, R]) Err() error    { return c.f.err }

func (c *call[A, R]) AppendArgs(b []byte) ([]byte, error) {
	out, err := appendArg(append(b, 0x91), c.a) // 0x91: an array of one element
	if err != nil {
		return b, fmt.Errorf("task: cannot send a %T to %s: %w (arguments must be values msgpack can encode; functions travel by name)", c.a, c.f.name, err)
	}
	return out, nil
}

func (c *call[A, R]) Run(ctx context.Context) (any, error) {
	return c.f.local(ctx, c.a)
}
