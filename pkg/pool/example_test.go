package pool_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

// Functions travel to workers by name: register them in package variables,
// so that a worker, which runs the same binary, has them too.
var (
	double = task.Register("example.double", func(_ context.Context, x int) (int, error) {
		return 2 * x, nil
	})
	// nap sleeps for d, whatever its context says.
	nap = task.Register("example.nap", func(_ context.Context, d time.Duration) (time.Duration, error) {
		time.Sleep(d)
		return d, nil
	})
	parse = task.Register("example.parse", func(_ context.Context, s string) (int, error) {
		var n int
		_, err := fmt.Sscan(s, &n)
		return n, err
	})
)

// The test binary is its own worker (see TestMain), so the pools of these
// examples run their tasks in processes, as a program that calls
// worker.Main under worker.IsWorker does.

func ExampleNew() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithWorkers(2)) // processes running this very executable
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	fmt.Println(len(p.Workers()), "workers in", p.Options().Mode, "mode")
	// Output: 2 workers in process mode
}

func ExampleMap() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	doubled, err := pool.Map(ctx, p, double, []int{1, 2, 3, 4})
	fmt.Println(doubled, err)
	// Output: [2 4 6 8] <nil>
}

// RunBatched takes results a frame at a time: a sum over many
// results adds each frame's into a local total and takes the lock once.
func ExamplePool_RunBatched() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	var mu sync.Mutex
	sum := 0
	add := func(rs []pool.Result) {
		local := 0
		for _, r := range rs {
			v, err := double.Decode(r.Raw)
			if r.Err != nil || err != nil {
				log.Fatal(r.Err, err)
			}
			local += v
		}
		mu.Lock()
		sum += local
		mu.Unlock()
	}
	const n = 100_000
	err = p.RunBatched(ctx, n, func(i int) task.Call { return double.Call(i) },
		func(r pool.Result) { add([]pool.Result{r}) }, add)
	fmt.Println(sum == n*(n-1), err)
	// Output: true <nil>
}

// A task's error arrives as a *TaskError that says which function failed,
// how, and in which worker process.
func ExampleMap_taskError() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	_, err = pool.Map(ctx, p, parse, []string{"1", "two", "3"})
	var te *pool.TaskError
	if errors.As(err, &te) {
		fmt.Println(te.Func, te.Kind, te.PID > 0)
		fmt.Println(te.Message)
	}
	// Output:
	// example.parse error true
	// expected integer
}

func ExampleSubmit() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	f := pool.Submit(ctx, p, double, 21)
	// ... do something else meanwhile ...
	v, err := f.Wait(ctx)
	fmt.Println(v, err)
	// Output: 42 <nil>
}

// Stream yields results as they complete; Index says which argument each
// belongs to. Here in thread mode: goroutines, no serialization.
func ExampleStream() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithWorkers(2), pool.WithMode(pool.Thread))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	words := strings.Fields("one two three four")
	lines := make([]string, len(words))
	for r, err := range pool.Stream(ctx, p, double, slices.Values([]int{1, 2, 3, 4})) {
		if err != nil {
			log.Fatal(err)
		}
		lines[r.Index] = fmt.Sprint(words[r.Index], " doubled is ", r.Value)
	}
	fmt.Println(strings.Join(lines, "\n"))
	// Output:
	// one doubled is 2
	// two doubled is 4
	// three doubled is 6
	// four doubled is 8
}

// Imap yields results in the order of its arguments, reading them lazily:
// here an endless sequence, which the loop ends.
func ExampleImap() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	naturals := func(yield func(int) bool) {
		for i := 1; yield(i); i++ {
		}
	}
	for v, err := range pool.Imap(ctx, p, double, naturals) {
		if err != nil {
			log.Fatal(err)
		}
		if v > 10 {
			break // cancels what runs
		}
		fmt.Print(v, " ")
	}
	fmt.Println()
	// Output: 2 4 6 8 10
}

// MapAll runs every task whatever fails, and returns each result and each
// error at the index of its argument.
func ExampleMapAll() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	vals, errs := pool.MapAll(ctx, p, parse, []string{"1", "two", "3", "four"})
	fmt.Println(vals)
	for i, err := range errs {
		var te *pool.TaskError
		if errors.As(err, &te) {
			fmt.Println(i, te.Message)
		}
	}
	// Output:
	// [1 0 3 0]
	// 1 expected integer
	// 3 expected integer
}

// TrySubmit never blocks: it says when the pool has no room, and the
// caller decides what to do instead.
func ExampleTrySubmit() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	f, ok := pool.TrySubmit(ctx, p, double, 21)
	if !ok {
		fmt.Println("busy: try later")
		return
	}
	v, err := f.Wait(ctx)
	fmt.Println(v, err)
	// Output: 42 <nil>
}

// SubmitFunc calls back with each result, as apply_async's callbacks do.
func ExampleSubmitFunc() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var lines []string
	for _, s := range []string{"1", "two", "3"} {
		wg.Add(1)
		err := pool.SubmitFunc(ctx, p, parse, s, func(n int, err error) {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				lines = append(lines, fmt.Sprintf("%q failed", s))
				return
			}
			lines = append(lines, fmt.Sprintf("%q is %d", s, n))
		})
		if err != nil {
			wg.Done()
			fmt.Println(err)
		}
	}
	wg.Wait()
	slices.Sort(lines)
	fmt.Println(strings.Join(lines, "\n"))
	// Output:
	// "1" is 1
	// "3" is 3
	// "two" failed
}

// Terminate stops a pool now: it kills worker processes without waiting
// for the tasks they run, which fail with ErrClosed.
func ExamplePool_Terminate() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close() // returns at once after Terminate
	f := pool.Submit(ctx, p, nap, time.Hour)
	if err := p.Terminate(); err != nil {
		log.Fatal(err)
	}
	_, err = f.Wait(ctx)
	fmt.Println(errors.Is(err, pool.ErrClosed))
	// Output: true
}

// dictionary is a worker's state: made once by each worker as it starts,
// with WithInitializer, and closed as it ends.
var dictionary = task.RegisterState("example.dictionary", func(context.Context) (map[string]int, error) {
	return map[string]int{"one": 1, "two": 2, "three": 3}, nil
}, task.OnExit(func(_ context.Context, d map[string]int) error {
	clear(d) // as a real state would flush or close what it holds
	return nil
}))

var lookup = task.Register("example.lookup", func(ctx context.Context, word string) (int, error) {
	d, err := dictionary.Get(ctx) // made already, as the worker started
	return d[word], err
})

// Each worker makes its state before its first task, as Python's
// Pool(initializer=...) loads it: New fails if a worker cannot.
func ExampleWithInitializer() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithWorkers(2), pool.WithInitializer(dictionary))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	n, err := pool.Map(ctx, p, lookup, []string{"one", "two", "three"})
	fmt.Println(n, err)
	// Output: [1 2 3] <nil>
}
