package task

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
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
	exit func(context.Context, S) error // OnExit's, or nil
}

// StateOption configures a State as RegisterState records it.
type StateOption[S any] func(*State[S])

// OnExit has exit run on a worker's value of the State when the worker
// ends normally (its pool closes, or recycles it: Options.MaxTasksPerWorker),
// as mpire's worker_exit: to flush, save or close what the value holds. It
// runs only for a value that was made, and not in a worker process that is
// killed. Its error is logged by the worker.
func OnExit[S any](exit func(ctx context.Context, v S) error) StateOption[S] {
	return func(s *State[S]) { s.exit = exit }
}

// states are the names of the registered States.
var states = struct {
	mu     sync.Mutex
	byName map[string]stateHooks
}{byName: map[string]stateHooks{}}

// stateHooks make and end a State's value in a set, whatever its type.
type stateHooks struct {
	start func(ctx context.Context, set *StateSet) error
	end   func(ctx context.Context, set *StateSet) error
}

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
// opts may add an exit hook (OnExit). pool.WithInitializer has each worker
// make the value as it starts, before its first task, as Pool's
// initializer= does. It panics if name is empty, holds a comma, or names a
// State already.
func RegisterState[S any](name string, init func(ctx context.Context) (S, error), opts ...StateOption[S]) *State[S] {
	if name == "" || strings.Contains(name, ",") {
		panic(fmt.Sprintf("task: RegisterState with the name %q: it must be non-empty, without commas", name))
	}
	s := &State[S]{name: name, init: init}
	for _, o := range opts {
		o(s)
	}
	states.mu.Lock()
	defer states.mu.Unlock()
	if _, taken := states.byName[name]; taken {
		panic(fmt.Sprintf("task: a State is already registered as %q: choose another name", name))
	}
	states.byName[name] = stateHooks{
		start: func(ctx context.Context, set *StateSet) error { _, err := s.getIn(ctx, set); return err },
		end:   s.endIn,
	}
	return s
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
func (s *State[S]) Get(ctx context.Context) (S, error) { return s.getIn(ctx, stateSetOf(ctx)) }

// getIn is Get of the value in set.
func (s *State[S]) getIn(ctx context.Context, set *StateSet) (S, error) {
	c := set.cell(s.name)
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

// endIn runs the exit hook on the value in set, if there is both.
func (s *State[S]) endIn(ctx context.Context, set *StateSet) error {
	if s.exit == nil {
		return nil
	}
	c := set.cell(s.name)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.made {
		return nil
	}
	if err := s.exit(ctx, c.value.(S)); err != nil {
		return fmt.Errorf("task: state %s: exit: %w", s.name, err)
	}
	return nil
}

// StartStates makes, in set (nil: this process's, a worker process's), the
// values of the States named, in order, for a worker that starts
// (pool.WithInitializer). It returns the first error, which names its
// State; a name no State is registered under is one.
func StartStates(ctx context.Context, set *StateSet, names []string) error {
	if set == nil {
		set = processStates
	}
	for _, name := range names {
		states.mu.Lock()
		h, ok := states.byName[name]
		states.mu.Unlock()
		if !ok {
			return fmt.Errorf("task: no State is registered as %q in this program (RegisterState)", name)
		}
		if err := h.start(ctx, set); err != nil {
			return err
		}
	}
	return nil
}

// EndStates runs the exit hooks (OnExit) of the States whose values were
// made in set (nil: this process's), for a worker that ends, in the order
// of their names, and returns their errors joined.
func EndStates(ctx context.Context, set *StateSet) error {
	if set == nil {
		set = processStates
	}
	set.mu.Lock()
	names := slices.Sorted(maps.Keys(set.cells))
	set.mu.Unlock()
	var errs []error
	for _, name := range names {
		states.mu.Lock()
		h, ok := states.byName[name]
		states.mu.Unlock()
		if ok {
			errs = append(errs, h.end(ctx, set))
		}
	}
	return errors.Join(errs...)
}
