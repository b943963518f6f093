package pool_test

import (
	"bytes"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/transport/transporttest"
)

// The conformance suite's process checks (/proc).
var (
	readStat        = transporttest.Stat
	children        = transporttest.Children
	checkNoChildren = transporttest.CheckNoChildren
)

// liveChild reports whether pid is a child of this process that has not
// exited.
func liveChild(pid int) bool {
	st, ok := readStat(pid)
	return ok && st.PPID == os.Getpid() && st.State != 'Z'
}

// results gathers a Run's results by index, checking that each arrives once.
type results struct {
	t     *testing.T
	mu    sync.Mutex
	byIdx map[int]pool.Result
	order []int // indexes in completion order
}

func newResults(t *testing.T) *results { return &results{t: t, byIdx: map[int]pool.Result{}} }

func (rs *results) add(r pool.Result) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if _, dup := rs.byIdx[r.Index]; dup {
		rs.t.Errorf("task %d: a second result: %+v", r.Index, r)
	}
	rs.byIdx[r.Index] = r
	rs.order = append(rs.order, r.Index)
}

// count returns how many results arrived and how many of them were ok.
func (rs *results) count() (all, ok int) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, r := range rs.byIdx {
		if r.Err == nil {
			ok++
		}
	}
	return len(rs.byIdx), ok
}

// checkAll fails the test unless there is one result for each of n tasks.
func (rs *results) checkAll(n int) {
	rs.t.Helper()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for i := range n {
		if _, ok := rs.byIdx[i]; !ok {
			rs.t.Errorf("task %d: no result", i)
		}
	}
	if len(rs.byIdx) != n {
		rs.t.Errorf("%d results for %d tasks", len(rs.byIdx), n)
	}
}

// syncBuffer is a log destination that the pool's goroutines share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func restarts(p *pool.Pool) int {
	n := 0
	for _, w := range p.Workers() {
		n += w.Restarts
	}
	return n
}

// waitRestarts returns the pool's restarts once they reach want, or after a
// bound: the replacement of the last worker lost may still be starting when
// its tasks already have their results.
func waitRestarts(p *pool.Pool, want int) int {
	for deadline := time.Now().Add(10 * time.Second); restarts(p) < want && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	return restarts(p)
}
