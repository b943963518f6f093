package pool

import (
	"context"
	"sync"
	"testing"
	"time"
)

// FuzzReceive feeds arbitrary bytes, as a worker would send them after its
// handshake, to the code that reads a worker's output, with four tasks in
// flight (ids 1 to 4), then salvages what is left as if the worker had
// died. Whatever arrives, nothing panics and each task is either completed
// exactly once or queued exactly once to be sent again.
func FuzzReceive(f *testing.F) {
	f.Fuzz(func(t *testing.T, stream []byte) {
		w, rs, its := fuzzProc(stream)
		// Completed items are recycled (zeroed): note what they were first.
		type task struct {
			it    *item
			id    uint64
			index int
		}
		tasks := make([]task, len(its))
		for i, it := range its {
			tasks[i] = task{it, it.id, it.index}
		}
		var completed sync.Map // index → times completed
		rs.each = func(r Result) {
			n, _ := completed.LoadOrStore(r.Index, new(int))
			*n.(*int)++
		}
		err := w.receive()
		w.mu.Lock()
		w.head() // the timeout's view of the worker stays consistent
		w.mu.Unlock()
		w.b.salvage(w, &WorkerExitError{Status: "signal: killed", Code: -1})
		requeued := map[*item]int{}
		for len(w.b.p.retry) > 0 {
			requeued[<-w.b.p.retry]++
		}
		for _, tk := range tasks {
			n, done := completed.Load(tk.index)
			switch {
			case done && requeued[tk.it] > 0:
				t.Fatalf("task %d both completed and requeued", tk.id)
			case done && *n.(*int) != 1:
				t.Fatalf("task %d completed %d times", tk.id, *n.(*int))
			case !done && requeued[tk.it] != 1:
				t.Fatalf("task %d requeued %d times, not completed (receive: %v)", tk.id, requeued[tk.it], err)
			}
		}
	})
}

// fuzzProc returns a proc, not backed by a process, holding four tasks,
// whose worker's output is output.
func fuzzProc(output []byte) (*proc, *runState, []*item) {
	p := &Pool{opts: Options{Workers: 1, TaskTimeout: time.Second, Retries: 1},
		quit: make(chan struct{}), retry: make(chan *item, 8)}
	b := &processes{p: p}
	w := newProc(b, &slot{}, newFakeConn(output))
	rs := newRunState(context.Background(), nil, 4)
	var its []*item
	for i := range 4 {
		it := &item{id: uint64(i + 1), index: i, run: rs, call: fuzzCall{}, size: 10}
		w.track([]*item{it}, time.Now())
		its = append(its, it)
	}
	return w, rs, its
}

// fuzzCall stands for the calls of the tasks in flight.
type fuzzCall struct{}

func (fuzzCall) Func() string                        { return "fuzz" }
func (fuzzCall) Bound() []byte                       { return nil }
func (fuzzCall) AppendArgs(b []byte) ([]byte, error) { return b, nil }
func (fuzzCall) Run(context.Context) (any, error)    { return nil, nil }
func (fuzzCall) Err() error                          { return nil }
