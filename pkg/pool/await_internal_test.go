package pool

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// TestNearEnd checks when a waiter polls instead of parking: only for a
// process pool's run with no more results left than workers, of tasks
// short beside Options.Spin, with a processor to spare for each worker,
// unless the pool does not spin.
func TestNearEnd(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	cases := []struct {
		name      string
		mode      Mode
		taskNanos time.Duration
		left      int
		procs     int
		spin      time.Duration
		want      bool
	}{
		{"one left", Process, time.Microsecond, 1, 3, defaultSpin, true},
		{"a result per worker", Process, defaultSpin / 4, 2, 3, defaultSpin, true},
		{"ended", Process, time.Microsecond, 0, 3, defaultSpin, false},
		{"more than the workers", Process, time.Microsecond, 3, 3, defaultSpin, false},
		{"long tasks", Process, defaultSpin/4 + 1, 1, 3, defaultSpin, false},
		{"long beside a short spin", Process, 5 * time.Microsecond, 1, 3, 10 * time.Microsecond, false},
		{"threads", Thread, time.Microsecond, 1, 3, defaultSpin, false},
		{"as many workers as processors", Process, time.Microsecond, 1, 2, defaultSpin, false},
		{"no spinning", Process, time.Microsecond, 1, 3, -1, false},
	}
	for _, c := range cases {
		p := &Pool{opts: Options{Mode: c.mode, Workers: 2, Spin: c.spin}}
		p.taskNanos.Store(int64(c.taskNanos))
		rs := newRunState(context.Background(), func(Result) {}, c.left)
		runtime.GOMAXPROCS(c.procs)
		if got := p.nearEnd(rs); got != c.want {
			t.Errorf("%s: nearEnd = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestAwaitNearPolls: a run that does not end is polled for Options.Spin, then
// left to park; one that ends is reported ended.
func TestAwaitNearPolls(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	p := &Pool{opts: Options{Mode: Process, Workers: 1, Spin: defaultSpin}}
	rs := newRunState(context.Background(), func(Result) {}, 1)
	start := time.Now()
	if p.awaitNear(rs) {
		t.Fatal("awaitNear reported a run with a result left ended")
	}
	if took := time.Since(start); took < defaultSpin {
		t.Errorf("awaitNear gave up after %v, before Options.Spin (%v)", took, defaultSpin)
	}
	rs.finish()
	if !p.awaitNear(rs) {
		t.Error("awaitNear reported an ended run not ended")
	}
}
