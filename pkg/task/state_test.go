package task_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/brinehq/brine/pkg/task"
)

// Concurrent first calls in one worker make the value once; another
// worker's set makes its own.
func TestStateOncePerSet(t *testing.T) {
	var made atomic.Int64
	s := task.RegisterState("task_test.once", func(context.Context) (int64, error) { return made.Add(1), nil })
	ctx := task.WithStateSet(context.Background(), task.NewStateSet())
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if v, err := s.Get(ctx); v != 1 || err != nil {
				t.Errorf("Get: %d, %v; want 1", v, err)
			}
		})
	}
	wg.Wait()
	other := task.WithStateSet(context.Background(), task.NewStateSet())
	if v, err := s.Get(other); v != 2 || err != nil {
		t.Errorf("another worker's Get: %d, %v; want its own value, 2", v, err)
	}
	if v, _ := s.Get(ctx); v != 1 || made.Load() != 2 {
		t.Errorf("Get again: %d after %d makes; want 1 after 2", v, made.Load())
	}
}

// A context without a set gets the process's values.
func TestStateOfProcess(t *testing.T) {
	var made atomic.Int64
	s := task.RegisterState("task_test.process", func(context.Context) (int64, error) { return made.Add(1), nil })
	for range 3 {
		if v, err := s.Get(context.Background()); v != 1 || err != nil {
			t.Fatalf("Get: %d, %v; want 1", v, err)
		}
	}
}

// A failed init is returned, named, and kept for nobody: the next Get
// tries again.
func TestStateInitFails(t *testing.T) {
	errFlaky := errors.New("flaky")
	var calls atomic.Int64
	s := task.RegisterState("task_test.flaky", func(context.Context) (string, error) {
		if calls.Add(1) == 1 {
			return "", errFlaky
		}
		return "up", nil
	})
	ctx := task.WithStateSet(context.Background(), task.NewStateSet())
	if _, err := s.Get(ctx); !errors.Is(err, errFlaky) || !strings.Contains(err.Error(), "task_test.flaky") {
		t.Fatalf("first Get: %v; want the init's error, naming the state", err)
	}
	if v, err := s.Get(ctx); v != "up" || err != nil {
		t.Fatalf("second Get: %q, %v; want it made", v, err)
	}
}

func TestRegisterStateTwice(t *testing.T) {
	task.RegisterState("task_test.twice", func(context.Context) (int, error) { return 0, nil })
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "task_test.twice") {
			t.Errorf("panic %v; want one naming the state", r)
		}
	}()
	task.RegisterState("task_test.twice", func(context.Context) (int, error) { return 0, nil })
}
