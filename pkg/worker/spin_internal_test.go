package worker

import (
	"context"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

// polls records the calls of readable.
type polls struct {
	mu    sync.Mutex
	spins []time.Duration
}

func countPolls(t *testing.T) *polls {
	p := &polls{}
	real := readable
	readable = func(fd int, d time.Duration) bool {
		p.mu.Lock()
		p.spins = append(p.spins, d)
		p.mu.Unlock()
		return real(fd, d)
	}
	t.Cleanup(func() { readable = real })
	return p
}

func (p *polls) get() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Duration(nil), p.spins...)
}

// serveFrames runs Serve on in and out, sends it the Welcome, then each
// frame of tasks in turn once the one before has all its results, and
// returns once Serve has ended.
func serveFrames(t *testing.T, in io.ReadCloser, inW io.WriteCloser, outR io.Reader, out io.WriteCloser, frames [][]byte, tasks []int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang guard only
	defer cancel()
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, in, out, task.Default, zerolog.Nop())
		out.Close()
	}()
	rd := wire.NewReader(outR, 0, 0)
	if _, err := rd.Next(); err != nil { // the Hello
		t.Fatal(err)
	}
	welcome, _ := wire.AppendWelcome(nil, wire.Welcome{Version: wire.Version})
	if _, err := inW.Write(welcome); err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if _, err := inW.Write(f); err != nil {
			t.Fatal(err)
		}
		for got := 0; got < tasks[i]; {
			body, err := rd.Next()
			if err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
			rs, err := wire.DecodeResults(body, nil)
			if err != nil {
				t.Fatal(err)
			}
			got += len(rs)
		}
	}
	inW.Close()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}

func echoFrame(t *testing.T, id uint64, n int, spin time.Duration) []byte {
	t.Helper()
	c := jobs.Echo.Call([]byte("hi"))
	args, _ := c.AppendArgs(nil)
	b, w := wire.BeginTasks(nil)
	for i := range n {
		b = wire.AppendTask(b, &wire.Task{ID: id + uint64(i), Func: c.Func(), Args: args})
	}
	b, err := w.EndSpin(b, n, spin)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSpinAsked: a frame that asks the worker to spin has it poll its
// input once it has answered the frame, for as long as asked up to
// maxSpin; frames that do not, and Calls frames, do not.
func TestSpinAsked(t *testing.T) {
	p := countPolls(t)
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer outR.Close()
	frames := [][]byte{
		echoFrame(t, 1, 1, 0),
		echoFrame(t, 2, 1, 40*time.Microsecond),
		echoFrame(t, 3, 3, 0),
		echoFrame(t, 6, 2, time.Hour),
	}
	serveFrames(t, inR, inW, outR, outW, frames, []int{1, 1, 3, 2})
	inR.Close()
	want := []time.Duration{40 * time.Microsecond, maxSpin}
	if got := p.get(); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("polls %v, want %v", got, want)
	}
}

// TestSpinNoDescriptor: a worker whose input is no pipe or socket reads as
// it always does, whatever the frames ask.
func TestSpinNoDescriptor(t *testing.T) {
	p := countPolls(t)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	serveFrames(t, inR, inW, outR, outW, [][]byte{echoFrame(t, 1, 1, time.Millisecond)}, []int{1})
	if got := p.get(); len(got) != 0 {
		t.Fatalf("polls %v on an io.Pipe", got)
	}
}
