package task_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"sync/atomic"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

// Register functions in package variables: every binary built from this
// code, coordinator and worker alike, then has them under the same names.
var (
	upper = task.Register("example.upper", func(_ context.Context, s string) (string, error) {
		return strings.ToUpper(s), nil
	})
	power = task.Register2("example.power", func(_ context.Context, exp, base int) (int, error) {
		r := 1
		for range exp {
			r *= base
		}
		return r, nil
	})
)

// A registered function's handle is what a pool takes; its argument and
// result types are checked by the compiler.
func ExampleRegister() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithWorkers(2)) // worker processes: this test binary (see TestMain)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	out, err := pool.Map(ctx, p, upper, []string{"brine", "runs", "go"})
	fmt.Println(out, err)
	// Output: [BRINE RUNS GO] <nil>
}

// Bind fixes the first argument, as functools.partial does: the worker gets
// it encoded in the task's descriptor, not as a closure.
func ExampleBind() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	square := task.Bind(power, 2)
	out, err := pool.Map(ctx, p, square, []int{1, 2, 3, 4})
	fmt.Println(out, err)
	// Output: [1 4 9 16] <nil>
}

// Func2.Call makes one call with both arguments, for a run in which the first
// one varies; (*pool.Pool).Run takes such calls.
func ExampleFunc2_Call() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithWorkers(2), pool.WithMode(pool.Thread))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	out := make([]int, 4)
	err = p.Run(ctx, len(out), func(i int) task.Call { return power.Call(i, 3) }, func(r pool.Result) {
		out[r.Index] = r.Value.(int) // thread mode: the value itself; Raw and Decode in process mode
	})
	fmt.Println(out, err)
	// Output: [1 3 9 27] <nil>
}

// ErrOutOfStock keeps its identity across processes: registered in a
// package variable, every process of the program has it under one code.
var ErrOutOfStock = task.RegisterError("example.out_of_stock", errors.New("out of stock"))

// A registered error travels by its code, as pickle sends an exception by
// its class's name: the worker names it, the coordinator finds it again.
func ExampleRegisterError() {
	err := fmt.Errorf("item 42: %w", ErrOutOfStock) // what a task returned, in a worker
	code := task.ErrorCode(err)                     // sent with the failure
	fmt.Println(code, errors.Is(task.ErrorOf(code), ErrOutOfStock))
	// Output: example.out_of_stock true
}

var (
	// vocabulary is loaded once per worker, by the first task that asks.
	vocabulary = task.RegisterState("example.vocabulary", func(context.Context) (map[string]string, error) {
		loads.Add(1)
		return map[string]string{"un": "one", "deux": "two", "trois": "three", "quatre": "four"}, nil
	})
	loads     atomic.Int64 // in this process: this worker's loads
	translate = task.Register("example.translate", func(ctx context.Context, word string) (string, error) {
		v, err := vocabulary.Get(ctx)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s (loads in its worker: %d)", v[word], loads.Load()), nil
	})
)

// A State is made once per worker, like a model that Python's
// Pool(initializer=...) loads into a global: each worker process loads the
// vocabulary once, whatever the number of tasks it runs.
func ExampleRegisterState() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	out, err := pool.Map(ctx, p, translate, []string{"un", "deux", "trois", "quatre"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.Join(out, "\n"))
	// Output:
	// one (loads in its worker: 1)
	// two (loads in its worker: 1)
	// three (loads in its worker: 1)
	// four (loads in its worker: 1)
}
