package task

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"sort"
	"sync"

	"github.com/brinehq/brine/pkg/wire"
)

// An Entry is a registered function as a worker sees it: a name and a way to
// call it with encoded arguments.
type Entry struct {
	name  string
	arity int
	// invoke decodes the positional arguments (bound ones first), calls the
	// function and appends its encoded result to out.
	invoke func(ctx context.Context, args rawArgs, out []byte) ([]byte, error)
}

// maxArity is the most positional arguments a registered function takes.
const maxArity = 2

// rawArgs are the encoded positional arguments of a call. They go to
// Entry.invoke by value: a slice would escape through the func value and
// cost an allocation per task.
type rawArgs [maxArity][]byte

// Name returns the name the function is registered under.
func (e *Entry) Name() string { return e.name }

// Arity returns the number of positional arguments the function takes,
// bound ones included, not counting its context.
func (e *Entry) Arity() int { return e.arity }

// Invoke runs the function with the encoded argument arrays bound and args
// (a bound argument comes before the call's own, see wire.Task) and appends
// its encoded result to out. A panic in the function is recovered and
// reported as a *wire.Error of kind wire.KindPanic with the goroutine's
// stack; bad arguments give wire.KindBadArgs and a returned error
// wire.KindError. On failure out is returned unchanged.
func (e *Entry) Invoke(ctx context.Context, bound, args, out []byte) (res []byte, werr *wire.Error) {
	var buf [maxArity + 2][]byte // room to count a few too many without allocating
	elems, err := wire.SplitArray(bound, buf[:0])
	if err == nil {
		elems, err = wire.SplitArray(args, elems)
	}
	if err != nil {
		return out, &wire.Error{Kind: wire.KindBadArgs, Message: fmt.Sprintf("%s: %v", e.name, err)}
	}
	if len(elems) != e.arity {
		return out, &wire.Error{Kind: wire.KindBadArgs,
			Message: fmt.Sprintf("%s takes %d arguments, got %d", e.name, e.arity, len(elems))}
	}
	defer func() {
		if p := recover(); p != nil {
			res, werr = out, &wire.Error{Kind: wire.KindPanic, Message: fmt.Sprint(p), Stack: string(debug.Stack())}
		}
	}()
	var raw rawArgs
	copy(raw[:], elems)
	res, err = e.invoke(ctx, raw, out)
	if err != nil {
		return out, asWireError(err)
	}
	return res, nil
}

func asWireError(err error) *wire.Error {
	if we, ok := err.(*wire.Error); ok {
		return we
	}
	return &wire.Error{Kind: wire.KindError, Message: err.Error(), Code: ErrorCode(err)}
}

// Registry maps names to functions. The zero value is not usable; the
// package-level functions use Default.
type Registry struct {
	mu    sync.RWMutex
	funcs map[string]*Entry
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{funcs: make(map[string]*Entry)} }

// Default is the registry that Register and Register2 add to and that a
// worker serves.
var Default = NewRegistry()

// add registers e, panicking if the name is taken: two functions under one
// name would make descriptors ambiguous, and registration happens at init
// where a panic stops the program before anything runs.
func (r *Registry) add(e *Entry) {
	if e.name == "" {
		panic("task: Register with an empty name")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.funcs[e.name]; dup {
		panic(fmt.Sprintf("task: a function is already registered as %q: choose another name", e.name))
	}
	r.funcs[e.name] = e
}

// Lookup returns the function registered as name.
func (r *Registry) Lookup(name string) (*Entry, bool) {
	r.mu.RLock()
	e, ok := r.funcs[name]
	r.mu.RUnlock()
	return e, ok
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	names := make([]string, 0, len(r.funcs))
	for n := range r.funcs {
		names = append(names, n)
	}
	r.mu.RUnlock()
	sort.Strings(names)
	return names
}

// Has reports whether every name in names is registered, and returns the
// first that is not.
func (r *Registry) Has(names ...string) (missing string, ok bool) {
	known := r.Names()
	for _, n := range names {
		if _, found := slices.BinarySearch(known, n); !found {
			return n, false
		}
	}
	return "", true
}
