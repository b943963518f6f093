package coordinator

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
)

func threadPool(t *testing.T) *pool.Pool {
	t.Helper()
	p, err := pool.New(context.Background(), pool.WithMode(pool.Thread), pool.WithWorkers(2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// segmentLog records the segments runSegments begins and the tasks whose
// results it passes on.
type segmentLog struct {
	mu       sync.Mutex
	segments [][2]int // first, length
	seen     []atomic.Int32
	results  atomic.Int64
	onResult func(n int64)
}

func (l *segmentLog) begin(first, n int) sink {
	l.mu.Lock()
	l.segments = append(l.segments, [2]int{first, n})
	l.mu.Unlock()
	one := func(r pool.Result) {
		l.seen[first+r.Index].Add(1)
		if n := l.results.Add(1); l.onResult != nil {
			l.onResult(n)
		}
	}
	return sink{one: one, many: func(rs []pool.Result) {
		for _, r := range rs {
			one(r)
		}
	}}
}

// Tasks go out a segment at a time, in order, every task once.
func TestRunSegmentsRunsEveryTaskOnce(t *testing.T) {
	const n = 2*segmentTasks + 3
	echo := jobs.Echo.Call([]byte{})
	l := &segmentLog{seen: make([]atomic.Int32, n)}
	handed, err := runSegments(context.Background(), threadPool(t), n, func(int) task.Call { return echo }, l.begin)
	if err != nil || handed != n {
		t.Fatalf("handed %d, %v; want %d, nil", handed, err, n)
	}
	want := [][2]int{{0, segmentTasks}, {segmentTasks, segmentTasks}, {2 * segmentTasks, 3}}
	if len(l.segments) != len(want) {
		t.Fatalf("segments %v, want %v", l.segments, want)
	}
	for i := range want {
		if l.segments[i] != want[i] {
			t.Fatalf("segments %v, want %v", l.segments, want)
		}
	}
	for i := range l.seen {
		if k := l.seen[i].Load(); k != 1 {
			t.Fatalf("task %d: %d results", i, k)
		}
	}
}

// Once its context ends, no segment starts; those started account for
// every task they had, and the rest are reported as never handed out.
func TestRunSegmentsStopsWithItsContext(t *testing.T) {
	const n = 1 << 40 // never generated: only the segments started are
	echo := jobs.Echo.Call([]byte{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := &segmentLog{seen: make([]atomic.Int32, 4*segmentTasks)}
	l.onResult = func(k int64) {
		if k == segmentTasks/2 {
			cancel()
		}
	}
	handed, err := runSegments(ctx, threadPool(t), n, func(int) task.Call { return echo }, l.begin)
	if err != nil {
		t.Fatal(err)
	}
	if handed == 0 || handed%segmentTasks != 0 || handed > 2*segmentTasks {
		t.Fatalf("handed %d tasks, want one or two segments'", handed)
	}
	if got := l.results.Load(); got != int64(handed) {
		t.Errorf("%d results for the %d tasks handed out", got, handed)
	}
	// The first segment goes out all the same, each task cancelled.
	l = &segmentLog{seen: make([]atomic.Int32, segmentTasks)}
	handed, _ = runSegments(ctx, threadPool(t), n, func(int) task.Call { return echo }, l.begin)
	if handed != segmentTasks || l.results.Load() != segmentTasks {
		t.Errorf("after its context ended, runSegments handed out %d tasks and passed %d results, want the first segment's %d",
			handed, l.results.Load(), segmentTasks)
	}
}
