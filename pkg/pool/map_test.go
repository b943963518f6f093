package pool_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

// Functions of the typed-API tests. Registered at package initialisation,
// they exist in the test binary and in the workers it re-executes.
var (
	square = task.Register("pooltest.square", func(_ context.Context, x int) (int, error) {
		return x * x, nil
	})
	// napOrFail sleeps ms milliseconds and returns os.Getpid(), or fails at
	// once for a negative ms, or panics for ms == -999.
	napOrFail = task.Register("pooltest.nap", func(ctx context.Context, ms int) (int, error) {
		switch {
		case ms == -999:
			panic("pooltest: asked to panic")
		case ms < 0:
			return 0, fmt.Errorf("negative: %d", ms)
		}
		t := time.NewTimer(time.Duration(ms) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
			return os.Getpid(), nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	})
	// takesFunc takes anything, so that a func can be handed to it: a
	// func parameter is refused at registration.
	takesFunc = task.Register("pooltest.takesfunc", func(_ context.Context, f any) (int, error) {
		return 1, nil
	})
	typeOf = task.Register("pooltest.typeof", func(_ context.Context, v any) (string, error) {
		return fmt.Sprintf("%T", v), nil
	})
	scale = task.Register2("pooltest.scale", func(_ context.Context, k, x int) (int, error) {
		return k * x, nil
	})
)

// lateFunc is registered after the workers started: they do not have it.
var lateFunc = sync.OnceValue(func() *task.Func[int, int] {
	return task.Register("pooltest.late", func(_ context.Context, x int) (int, error) { return x, nil })
})

// typedPool starts a pool of two workers that Cleanup closes. Its workers
// skip the race detector's one-second sleep at exit, which would slow Close.
func typedPool(t *testing.T, opts ...pool.Option) *pool.Pool {
	t.Helper()
	base := []pool.Option{pool.WithWorkers(2), pool.WithEnv("GORACE=atexit_sleep_ms=0")}
	p, err := pool.New(context.Background(), append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// inBothModes runs fn once per mode, each with its own pool of two workers.
func inBothModes(t *testing.T, fn func(t *testing.T, p *pool.Pool)) {
	for _, m := range []pool.Mode{pool.Process, pool.Thread} {
		t.Run(m.String(), func(t *testing.T) { fn(t, typedPool(t, pool.WithMode(m))) })
	}
}

func tasksDone(p *pool.Pool) int64 {
	var n int64
	for _, w := range p.Workers() {
		n += w.Tasks
	}
	return n
}

func indices(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func TestMapOrdered(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		got, err := pool.Map(context.Background(), p, square, indices(1000))
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range got {
			if v != i*i {
				t.Fatalf("result %d = %d, want %d", i, v, i*i)
			}
		}
	})
}

func TestMapRunsInWorkerProcesses(t *testing.T) {
	p := typedPool(t)
	pids, err := pool.Map(context.Background(), p, napOrFail, slices.Repeat([]int{5}, 20))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, pid := range pids {
		seen[pid] = true
	}
	if len(seen) < 2 || seen[os.Getpid()] {
		t.Errorf("tasks ran in pids %v; want 2 workers, not this process (%d)", seen, os.Getpid())
	}
}

func TestMapTaskError(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		_, err := pool.Map(context.Background(), p, napOrFail, []int{0, 0, -3, 0})
		var te *pool.TaskError
		if !errors.As(err, &te) {
			t.Fatalf("got %v, want a *TaskError", err)
		}
		if te.Kind != wire.KindError || te.Message != "negative: -3" || te.Func != "pooltest.nap" || te.PID == 0 {
			t.Errorf("got %+v", te)
		}
		if p.Options().Mode == pool.Process && te.PID == os.Getpid() {
			t.Errorf("error reports pid %d, this process", te.PID)
		}
		if !strings.Contains(err.Error(), "args[2]") {
			t.Errorf("error %q does not name the failed argument", err)
		}
	})
}

func TestMapPanicCarriesStack(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		_, err := pool.Map(context.Background(), p, napOrFail, []int{-999})
		var te *pool.TaskError
		if !errors.As(err, &te) || te.Kind != wire.KindPanic {
			t.Fatalf("got %v, want a panic", err)
		}
		if te.Message != "pooltest: asked to panic" || !strings.Contains(te.Stack, "map_test.go") {
			t.Errorf("message %q, stack:\n%s", te.Message, te.Stack)
		}
	})
}

func TestMapStopsAtFirstFailure(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		args := append([]int{-1}, slices.Repeat([]int{20}, 100)...)
		start := time.Now()
		_, err := pool.Map(context.Background(), p, napOrFail, args)
		if !strings.Contains(err.Error(), "negative: -1") {
			t.Fatalf("got %v", err)
		}
		// All 100 naps on 2 workers take a second; a stopped Map ends after
		// the few that had started.
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("Map took %v after its first task failed", d)
		}
		if n := tasksDone(p); n > 20 {
			t.Errorf("%d tasks ran after the first failed", n)
		}
	})
}

func TestMapContextEnds(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := pool.Map(ctx, p, napOrFail, slices.Repeat([]int{20}, 100))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want the context's error", err)
		}
	})
}

// An argument msgpack cannot encode fails before anything is sent, in
// process mode; thread mode passes it as it is.
func TestMapUnencodableArgument(t *testing.T) {
	p := typedPool(t)
	ctx := context.Background()
	_, err := pool.Map(ctx, p, takesFunc, []any{func() {}})
	if err == nil || !strings.Contains(err.Error(), "args[0]") || !strings.Contains(err.Error(), "unsupported func()") ||
		!strings.Contains(err.Error(), "functions travel by name") {
		t.Errorf("got %v", err)
	}
	_, err = pool.Map(ctx, p, typeOf, []any{1, "two", make(chan int)})
	if err == nil || !strings.Contains(err.Error(), "args[2]") || !strings.Contains(err.Error(), "chan int") {
		t.Errorf("got %v", err)
	}
	if n := tasksDone(p); n != 0 {
		t.Errorf("%d tasks ran; want none sent", n)
	}

	thr := typedPool(t, pool.WithMode(pool.Thread))
	got, err := pool.Map(ctx, thr, typeOf, []any{make(chan int)})
	if err != nil || got[0] != "chan int" {
		t.Errorf("thread mode: got %v, %v", got, err)
	}
}

func TestMapUnknownFunction(t *testing.T) {
	p := typedPool(t)
	_, err := pool.Map(context.Background(), p, lateFunc(), []int{1})
	if err == nil || !strings.Contains(err.Error(), `unknown function "pooltest.late"`) ||
		!strings.Contains(err.Error(), "pooltest.square") {
		t.Errorf("got %v, want an error listing the workers' functions", err)
	}
	if n := tasksDone(p); n != 0 {
		t.Errorf("%d tasks ran; want none sent", n)
	}
}

// badBind takes anything bound, so that a channel can be bound to it: a
// chan parameter is refused at registration, and Bind cannot encode one.
var badBind = task.Register2("pooltest.badbind", func(_ context.Context, c any, x int) (int, error) {
	return x, nil
})

func TestMapUnencodableBinding(t *testing.T) {
	p := typedPool(t, pool.WithMode(pool.Thread))
	bad := task.Bind(badBind, any(make(chan int)))
	_, err := pool.Map(context.Background(), p, bad, []int{1})
	if err == nil || !strings.Contains(err.Error(), "cannot bind chan int") {
		t.Errorf("got %v", err)
	}
}

func TestMapClosedPool(t *testing.T) {
	p := typedPool(t)
	p.Close()
	if _, err := pool.Map(context.Background(), p, square, []int{1, 2}); !errors.Is(err, pool.ErrClosed) {
		t.Errorf("got %v, want ErrClosed", err)
	}
	if _, err := pool.Submit(context.Background(), p, square, 1).Wait(context.Background()); !errors.Is(err, pool.ErrClosed) {
		t.Errorf("Submit: got %v, want ErrClosed", err)
	}
}

func TestMapEmptyAndConcurrent(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		if got, err := pool.Map(context.Background(), p, square, nil); err != nil || len(got) != 0 {
			t.Errorf("empty: got %v, %v", got, err)
		}
		var wg sync.WaitGroup
		for k := range 4 {
			wg.Go(func() {
				got, err := pool.Map(context.Background(), p, task.Bind(scale, k), indices(300))
				if err != nil {
					t.Error(err)
					return
				}
				for i, v := range got {
					if v != k*i {
						t.Errorf("map %d: result %d = %d", k, i, v)
						return
					}
				}
			})
		}
		wg.Wait()
	})
}

// Func2.Call gives each call its own first argument, for Run.
func TestFunc2CallWithRun(t *testing.T) {
	p := typedPool(t)
	got := make([]int, 10)
	err := p.Run(context.Background(), 10, func(i int) task.Call { return scale.Call(i, 3) }, func(r pool.Result) {
		if r.Err != nil {
			t.Error(r.Err)
			return
		}
		v, err := scale.Decode(r.Raw)
		if err != nil {
			t.Error(err)
		}
		got[r.Index] = v
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v != 3*i {
			t.Errorf("result %d = %d", i, v)
		}
	}
}

func TestSubmit(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		ctx := context.Background()
		ok, bad := pool.Submit(ctx, p, square, 7), pool.Submit(ctx, p, napOrFail, -2)
		if v, err := ok.Wait(ctx); v != 49 || err != nil {
			t.Errorf("got %d, %v", v, err)
		}
		<-bad.Done()
		var te *pool.TaskError
		if _, err := bad.Wait(ctx); !errors.As(err, &te) || te.Message != "negative: -2" {
			t.Errorf("got %v", err)
		}

		slow := pool.Submit(ctx, p, napOrFail, 200)
		short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
		defer cancel()
		if _, err := slow.Wait(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Wait past its context: got %v", err)
		}
		if _, err := slow.Wait(ctx); err != nil {
			t.Errorf("the task goes on after Wait gives up: %v", err)
		}

		gone, stop := context.WithCancel(ctx)
		stop()
		if _, err := pool.Submit(gone, p, square, 1).Wait(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Submit under a cancelled context: got %v", err)
		}
	})
}

func TestSubmitRefusesBeforeSending(t *testing.T) {
	p := typedPool(t)
	ctx := context.Background()
	for _, fu := range []*pool.Future[int]{
		pool.Submit(ctx, p, takesFunc, any(func() {})),
		pool.Submit(ctx, p, lateFunc(), 1),
	} {
		select {
		case <-fu.Done():
		default:
			t.Fatal("a refused call's Future is not done")
		}
		if _, err := fu.Wait(ctx); err == nil {
			t.Error("no error")
		}
	}
	if n := tasksDone(p); n != 0 {
		t.Errorf("%d tasks ran; want none sent", n)
	}
}

// Close ends every Future: with its result, or with ErrClosed.
func TestCloseEndsFutures(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		ctx := context.Background()
		var fus []*pool.Future[int]
		for range 6 {
			fus = append(fus, pool.Submit(ctx, p, napOrFail, 30))
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		for i, fu := range fus {
			select {
			case <-fu.Done():
			default:
				t.Fatalf("future %d is not done after Close", i)
			}
			if _, err := fu.Wait(ctx); err != nil && !errors.Is(err, pool.ErrClosed) {
				t.Errorf("future %d: %v", i, err)
			}
		}
	})
}

// Runs that are adding calls while the pool closes all return, with every
// call answered exactly once: by its result, or cancelled as the pool
// closed. Calls that enter the queue after Close drained it are cancelled
// by the Run that added them.
func TestCloseWhileRunsAdd(t *testing.T) {
	for _, m := range []pool.Mode{pool.Process, pool.Thread} {
		t.Run(m.String(), func(t *testing.T) {
			for round := range 8 {
				p := typedPool(t, pool.WithMode(m))
				const runs, n = 3, 3000
				var mu sync.Mutex
				var problems []string
				report := func(format string, args ...any) {
					mu.Lock()
					defer mu.Unlock()
					problems = append(problems, fmt.Sprintf(format, args...))
				}
				var wg sync.WaitGroup
				for range runs {
					wg.Go(func() {
						seen := make([]atomic.Int32, n)
						err := p.Run(context.Background(), n, func(i int) task.Call { return square.Call(i) }, func(r pool.Result) {
							seen[r.Index].Add(1)
							var te *pool.TaskError
							if r.Err != nil && !(errors.As(r.Err, &te) && te.Kind == wire.KindCancelled) {
								report("task %d: %v", r.Index, r.Err)
							}
						})
						if err != nil && !errors.Is(err, pool.ErrClosed) {
							report("Run: %v", err)
						}
						for i := range seen {
							if k := seen[i].Load(); k != 1 {
								report("task %d answered %d times", i, k)
								return
							}
						}
					})
				}
				time.Sleep(time.Duration(round) * 200 * time.Microsecond)
				p.Close()
				done := make(chan struct{})
				go func() { wg.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(time.Minute): // a hang guard only
					t.Fatalf("round %d: a Run did not return after Close", round)
				}
				if len(problems) > 0 {
					t.Fatalf("round %d: %d problems, the first: %s", round, len(problems), problems[0])
				}
			}
		})
	}
}

// Run hands each call to the workers as it is built: a call whose build
// waits for the result of the one before still gets it, in both modes.
func TestRunFeedsWaitingWorkers(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		const n = 10
		answered := make(chan int, n)
		build := func(i int) task.Call {
			if i > 0 {
				select {
				case <-answered: // the call before has its result
				case <-time.After(time.Minute): // a hang guard only
					t.Errorf("call %d: the call before it never ran", i)
				}
			}
			return square.Call(i)
		}
		err := p.Run(context.Background(), n, build, func(r pool.Result) {
			if r.Err != nil {
				t.Errorf("task %d: %v", r.Index, r.Err)
			}
			answered <- r.Index
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// RunBatched passes a run's results in frames to batch, and the others
// (every one in thread mode) to each: each result once, whichever took it.
func TestRunBatched(t *testing.T) {
	inBothModes(t, func(t *testing.T, p *pool.Pool) {
		const n = 5000
		var mu sync.Mutex
		seen := make([]int, n)
		var viaBatch, batches int
		take := func(r pool.Result) {
			v, err := 0, error(nil)
			if r.Raw != nil {
				v, err = square.Decode(r.Raw)
			} else {
				v, _ = r.Value.(int)
			}
			if r.Err != nil || err != nil || v != r.Index*r.Index {
				t.Errorf("task %d: %d, %v, %v", r.Index, v, r.Err, err)
			}
			seen[r.Index]++
		}
		err := p.RunBatched(context.Background(), n, func(i int) task.Call { return square.Call(i) },
			func(r pool.Result) { mu.Lock(); defer mu.Unlock(); take(r) },
			func(rs []pool.Result) {
				mu.Lock()
				defer mu.Unlock()
				if len(rs) == 0 {
					t.Error("an empty batch")
				}
				batches++
				viaBatch += len(rs)
				for _, r := range rs {
					take(r)
				}
			})
		if err != nil {
			t.Fatal(err)
		}
		for i, k := range seen {
			if k != 1 {
				t.Errorf("task %d had %d results", i, k)
			}
		}
		if p.Options().Mode == pool.Thread {
			if viaBatch != 0 {
				t.Errorf("thread mode passed %d results in batches; they have no frames", viaBatch)
			}
			return
		}
		if viaBatch == 0 || batches >= viaBatch {
			t.Errorf("%d results came in %d batches; want most in batches of several", viaBatch, batches)
		}
	})
}
