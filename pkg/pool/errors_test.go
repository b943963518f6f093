package pool_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

var (
	// errUnlucky is registered: it keeps its identity across processes.
	errUnlucky = task.RegisterError("pooltest.unlucky", errors.New("unlucky"))
	// errPlain is not: only its message crosses.
	errPlain = errors.New("plain")

	failing = task.Register("pooltest.failing", func(_ context.Context, n int) (int, error) {
		switch n {
		case 1:
			return 0, fmt.Errorf("number %d: %w", n, errUnlucky)
		case 2:
			return 0, errPlain
		}
		return n, nil
	})
)

// A function's error keeps its identity for errors.Is: in thread mode
// whatever it is, in process mode when it was registered; the message
// crosses in both.
func TestErrorsKeepTheirIdentity(t *testing.T) {
	for _, mode := range []pool.Mode{pool.Thread, pool.Process} {
		t.Run(mode.String(), func(t *testing.T) {
			p := startPool(t, pool.WithWorkers(1), pool.WithMode(mode))
			_, err := pool.Map(bounded(t), p, failing, []int{1})
			var te *pool.TaskError
			if !errors.Is(err, errUnlucky) || !errors.As(err, &te) || te.Kind != pool.KindError ||
				!strings.Contains(err.Error(), "number 1: unlucky") {
				t.Errorf("registered error: %v (kind %v), want errors.Is errUnlucky, kind %q", err, te, pool.KindError)
			}
			_, err = pool.Map(bounded(t), p, failing, []int{2})
			if got, want := errors.Is(err, errPlain), mode == pool.Thread; got != want || !strings.Contains(err.Error(), "plain") {
				t.Errorf("unregistered error: %v, errors.Is %v, want %v", err, got, want)
			}
			fu := pool.Submit(bounded(t), p, failing, 1)
			if _, err := fu.Wait(bounded(t)); !errors.Is(err, errUnlucky) {
				t.Errorf("Submit: %v, want errors.Is errUnlucky", err)
			}
		})
	}
}
