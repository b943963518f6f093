package task

import (
	"context"
	"fmt"
	"sync"
)

// State is a value that each worker makes for itself once, the first time
// one of its tasks asks for it, and keeps for the tasks it runs after: a
// model loaded, a connection opened or a cache filled once per worker
// rather than once per task, as Python's Pool(initializer=...) and mpire's
// worker_init with worker_state are used for. A worker process is one
// worker; in a thread-mode pool each worker goroutine has a value of its
// own, so a State need not be safe for concurrent use by two workers.
//
// Its zero value is not usable; get one from RegisterState. A State is safe
// for concurrent use.
type State[S any] struct {
	name string
	init func(context.Context) (S, error)
}

// states are the names of the registered States.
var states = struct {
	mu    sync.Mutex
	names map[string]bool
}{names: map[string]bool{}}

// RegisterState records init as the maker of a worker's value of a State
// named name, and returns the State, which tasks ask for their worker's
// value with Get. Register it as a function is registered, from a package
// variable initialiser, so that every binary that may serve as a worker
// has it:
//
//	var model = task.RegisterState("myapp.model", func(ctx context.Context) (*Model, error) {
//		return loadModel(ctx, "weights.bin")
//	})
//
//	var classify = task.Register("myapp.classify", func(ctx context.Context, img []byte) (string, error) {
//		m, err := model.Get(ctx) // loaded once per worker
//		if err != nil {
//			return "", err
//		}
//		return m.Classify(img), nil
//	})
//
// It panics if name is empty or names a State already.
func RegisterState[S any](name string, init func(ctx context.Context) (S, error)) *State[S] {
	if name == "" {
		panic("task: RegisterState with an empty name")
	}
	states.mu.Lock()
	defer states.mu.Unlock()
	if states.names[name] {
		panic(fmt.Sprintf("task: a State is already registered as %q: choose another name", name))
	}
	states.names[name] = true
	return &State[S]{name: name, init: init}
}

// Name returns the name the State is registered under.
func (s *State[S]) Name() string { return s.name }

// Get returns the value of s of the worker running the task whose context
// is ctx. The first call in a worker makes it with init, passing ctx; the
// calls after it return it at once, and calls that come while init runs
// (from goroutines of the task) wait for it. The value must not keep ctx,
// which ends with the task.
//
// If init fails, Get returns its error, wrapped with the State's name, and
// keeps nothing: the next call tries again, so that a worker recovers from
// a passing failure. A panic in init is the task's, as a panic in the
// function is.
//
// Called with a context that no pool's worker gave, as in a test that
// calls the function itself, Get returns the value of the calling process.
func (s *State[S]) Get(ctx context.Context) (S, error) {
	c := stateSetOf(ctx).cell(s.name)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.made {
		return c.value.(S), nil
	}
	v, err := s.init(ctx)
	if err != nil {
		var zero S
		return zero, fmt.Errorf("task: state %s: %w", s.name, err)
	}
	c.value, c.made = v, true
	return v, nil
}

// StateSet is one worker's values of States. A pool's thread workers each
// have one and pass it to their tasks with WithStateSet; a worker process
// has the process's own. Its zero value is not usable; get one from
// NewStateSet.
type StateSet struct {
	mu    sync.Mutex
	cells map[string]*stateCell
}

type stateCell struct {
	mu    sync.Mutex // held while init runs
	made  bool
	value any
}

// NewStateSet returns an empty set: each State's value is made by the first
// Get under a context that carries it.
func NewStateSet() *StateSet { return &StateSet{cells: map[string]*stateCell{}} }

type stateSetKey struct{}

// WithStateSet returns a copy of ctx under which State.Get returns the
// values of set.
func WithStateSet(ctx context.Context, set *StateSet) context.Context {
	return context.WithValue(ctx, stateSetKey{}, set)
}

// processStates are the values of the calling process: those of a worker
// process, or of any caller whose context carries no set.
var processStates = NewStateSet()

func stateSetOf(ctx context.Context) *StateSet {
	if set, ok := ctx.Value(stateSetKey{}).(*StateSet); ok {
		return set
	}
	return processStates
}

func (set *StateSet) cell(name string) *stateCell {
	set.mu.Lock()
	defer set.mu.Unlock()
	c := set.cells[name]
	if c == nil {
		c = &stateCell{}
		set.cells[name] = c
	}
	return c
}
