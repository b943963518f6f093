package worker

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

// fakeClock is a clock a test moves, counting its readings.
type fakeClock struct {
	t     time.Duration
	reads int
}

func (c *fakeClock) read() time.Duration { c.reads++; return c.t }

// Tasks of a frame that is not a Calls frame are each timed by a reading
// of their own, however short.
func TestLapsReadEachTaskOfATasksFrame(t *testing.T) {
	c := &fakeClock{}
	l := laps{clock: c.read}
	l.frame("")
	for i, d := range []time.Duration{100, 50, 3 * time.Millisecond, 80} {
		c.t += d
		if got := l.lap(false); got != d {
			t.Fatalf("task %d took %v, timed %v", i, d, got)
		}
	}
	if c.reads != 5 {
		t.Fatalf("%d readings for a frame and 4 tasks, want 5", c.reads)
	}
}

// Short calls are read every sampleEvery: those between readings get the
// mean, the one at a reading the rest, so that every span adds up to the
// clock's; a reading asked for (a stalled task, the frame's last) comes at
// once, and calls that are no longer short are read each.
func TestLapsSampleShortCalls(t *testing.T) {
	c := &fakeClock{}
	l := laps{clock: c.read}
	l.frame("f")
	var sum time.Duration
	lap := func(took time.Duration, read bool) time.Duration {
		t.Helper()
		c.t += took
		d := l.lap(read)
		sum += d
		return d
	}
	if d := lap(100, false); d != 100 { // no mean yet: read
		t.Fatalf("first call timed %v, want 100ns", d)
	}
	reads := c.reads
	for range sampleEvery - 1 {
		if d := lap(120, false); d != 100 {
			t.Fatalf("a call between readings timed %v, want the mean 100ns", d)
		}
	}
	if c.reads != reads {
		t.Fatalf("%d readings for %d calls between readings", c.reads-reads, sampleEvery-1)
	}
	if d := lap(120, false); d != 120+(sampleEvery-1)*20 {
		t.Fatalf("the call at a reading timed %v, want its own 120ns and the 20ns more that each before it took", d)
	}
	if c.reads != reads+1 || sum != c.t {
		t.Fatalf("%d readings, times adding up to %v of %v: want one reading, and the clock's span", c.reads-reads, sum, c.t)
	}
	// A stalled call in the middle of a sample: read at its end, it gets
	// its time, less what the two calls before it were given beyond theirs.
	lap(100, false)
	lap(100, false)
	if d := lap(5*time.Millisecond, true); d != 5*time.Millisecond-2*20 {
		t.Fatalf("a stalled call of 5ms after two of 100ns given 120ns timed %v", d)
	}
	if sum != c.t {
		t.Fatalf("times add up to %v, the clock says %v", sum, c.t)
	}
	// Calls faster than their mean: the times given exceed the span, the
	// call at the reading gets 0, and the next readings pay the excess
	// back, the calls between them given 0, until the times add up again.
	if d := lap(100, true); d != 100 { // read: a mean of 100ns
		t.Fatalf("a call of 100ns read on its own timed %v", d)
	}
	for range sampleEvery - 1 {
		lap(10, false)
	}
	if d := lap(10, false); d != 0 || sum <= c.t {
		t.Fatalf("calls of 10ns given their mean of 100ns: the one at the reading timed %v, times add up to %v of %v: want 0, and more than the clock", d, sum, c.t)
	}
	if d := lap(time.Millisecond, true); d != time.Millisecond {
		t.Fatalf("a call of 1ms while the short calls owe time timed %v: a long call keeps its time whole", d)
	}
	for range 2 * sampleEvery * sampleEvery {
		lap(10, false)
	}
	if sum != c.t {
		t.Fatalf("after more calls of 10ns, times add up to %v, the clock says %v", sum, c.t)
	}
	// No longer short: once a reading finds a mean over shortTask, each is
	// read. (The first reading's span holds the short calls before it.)
	lap(10*time.Microsecond, true)
	lap(10*time.Microsecond, true)
	reads = c.reads
	for range 3 {
		if d := lap(10*time.Microsecond, false); d != 10*time.Microsecond {
			t.Fatalf("a 10µs call timed %v", d)
		}
	}
	if c.reads != reads+3 {
		t.Fatalf("%d readings for 3 calls of 10µs, want 3", c.reads-reads)
	}
	// A Tasks frame ends sampling; the time between frames counts to none.
	c.t += time.Second
	l.frame("")
	if d := lap(100, false); d != 100 {
		t.Fatalf("a task of a new frame timed %v, want 100ns", d)
	}
	// Short calls of f again, then a frame of calls of g: g's are read each
	// until they have a mean of their own.
	l.frame("f")
	lap(100, false)
	reads = c.reads
	l.frame("g")
	if d := lap(500*time.Microsecond, false); d != 500*time.Microsecond || c.reads != reads+2 {
		t.Fatalf("the first call of another function timed %v with %d readings, want its own time", d, c.reads-reads)
	}
}

// nap sleeps ms milliseconds.
var nap = task.Register("worker.nap", func(_ context.Context, ms int) (int, error) {
	time.Sleep(time.Duration(ms) * time.Millisecond)
	return ms, nil
})

// A call that runs long among short ones of a Calls frame, wherever it
// falls between readings, is timed by a reading of its own (the watcher
// sees it run), not counted to a call after it; and the calls' times add
// up to no more than the frame took.
func TestLongCallAmongShortOnesTimedItself(t *testing.T) {
	defer func(d time.Duration) { shortTask = d }(shortTask)
	shortTask = 200 * time.Microsecond // the calls that return at once are short, even under the race detector
	const long = 50                    // ms
	c := wire.Calls{First: 100, Func: nap.Call(0).Func()}
	for i := range 40 {
		ms := 0
		if i == 12 { // inside the second sample of sampleEvery
			ms = long
		}
		a, err := nap.Call(ms).AppendArgs(nil)
		if err != nil {
			t.Fatal(err)
		}
		c.Args = append(c.Args, a)
	}
	in, _ := wire.AppendWelcome(nil, wire.Welcome{Version: wire.Version})
	in, err := wire.AppendCalls(in, &c)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	start := time.Now()
	if err := Serve(context.Background(), bytes.NewReader(in), &out, task.Default, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	r := wire.NewReader(&out, 0, 0)
	if _, err := r.Next(); err != nil { // the Hello
		t.Fatal(err)
	}
	var got []wire.Result
	for {
		body, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if got, err = wire.DecodeResults(body, got); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != len(c.Args) {
		t.Fatalf("%d results, want %d", len(got), len(c.Args))
	}
	var sum time.Duration
	for _, r := range got {
		d := time.Duration(r.Nanos)
		sum += d
		switch {
		case r.Err != nil:
			t.Fatalf("task %d: %v", r.ID, r.Err)
		case r.ID == 112 && d < long*time.Millisecond:
			t.Errorf("the %dms call timed %v", long, d)
		case r.ID != 112 && d >= long*time.Millisecond/2:
			t.Errorf("task %d, which returns at once, timed %v: the long call's time went to it", r.ID, d)
		}
	}
	if slack := sampleEvery * shortTask; sum > took+slack {
		t.Errorf("the calls' times add up to %v, more than the %v Serve took and one sample's estimates (%v)", sum, took, slack)
	}
}
