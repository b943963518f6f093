package plugin_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/jobs"
	"github.com/brinehq/brine/pkg/pool"
	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/transport/plugin"
	"github.com/brinehq/brine/pkg/wire"
)

func spec(id int, env ...string) transport.Spec {
	return transport.Spec{ID: id, Env: append(env, quickExit), Logger: zerolog.Nop(), HandshakeTimeout: 10 * time.Second}
}

// start starts a worker of tr that the test ends.
func start(t *testing.T, tr transport.Transport, s transport.Spec) transport.Worker {
	t.Helper()
	w, err := tr.Start(bounded(t), s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		w.Kill("the test ended")
		drain(w)
		w.Wait()
		w.Close()
	})
	return w
}

// drain reads w's output to its end.
func drain(w transport.Worker) error {
	for {
		if _, err := w.Next(nil); err != nil {
			return err
		}
	}
}

// The frames of concurrent Sends reach the worker whole: each echo comes
// back with its own payload.
func TestConcurrentSends(t *testing.T) {
	eachProtocol(t, func(t *testing.T, proto plugin.Protocol) {
		w := start(t, newTransport(t, proto), spec(0))
		if w.Blocks() {
			t.Error("Blocks holds")
		}
		if down, up := w.Lanes(); down != nil || up != nil {
			t.Error("lanes without lanes")
		}
		const senders, each = 8, 100
		payload := func(id uint64) string { return strings.Repeat(fmt.Sprint(id, "."), int(id%50)) }
		var wg sync.WaitGroup
		for s := range senders {
			wg.Go(func() {
				for k := range each {
					id := uint64(s*each + k)
					call := jobs.Echo.Call([]byte(payload(id)))
					a, err := call.AppendArgs(nil)
					if err != nil {
						t.Error(err)
						return
					}
					frame, _ := wire.AppendTasks(nil, []wire.Task{{ID: id, Func: call.Func(), Args: a}})
					if err := w.Send(frame); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		seen := map[uint64]bool{}
		for len(seen) < senders*each {
			body, err := w.Next(nil)
			if err != nil {
				t.Fatalf("after %d results: %v", len(seen), err)
			}
			rs, err := wire.DecodeResults(body, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				got, err := jobs.Echo.Decode(r.Value)
				if r.Err != nil || err != nil || string(got) != payload(r.ID) || seen[r.ID] {
					t.Fatalf("result %d: %q, %v, %v", r.ID, got, r.Err, err)
				}
				seen[r.ID] = true
			}
		}
		wg.Wait()
		w.CloseInput()
		if err := w.Send(nil); !errors.Is(err, transport.ErrClosed) {
			t.Errorf("Send after CloseInput: %v, want ErrClosed", err)
		}
		if err := drain(w); !errors.Is(err, io.EOF) {
			t.Errorf("end of output: %v, want EOF", err)
		}
		if exit := w.Wait(); exit.Code != 0 || exit.Signal != 0 || exit.Reason != "" {
			t.Errorf("exit %+v, want a clean one", exit)
		}
	})
}

// Kill ends the worker with SIGKILL and the first reason given; Ended
// closes, and Wait says so.
func TestKill(t *testing.T) {
	eachProtocol(t, func(t *testing.T, proto plugin.Protocol) {
		w := start(t, newTransport(t, proto), spec(3))
		select {
		case <-w.Ended():
			t.Fatal("ended before it was killed")
		default:
		}
		w.Kill("the test says so")
		w.Terminate("a later reason")
		if err := drain(w); !errors.Is(err, io.EOF) {
			t.Errorf("end of output: %v, want EOF", err)
		}
		select {
		case <-w.Ended():
		case <-time.After(10 * time.Second):
			t.Fatal("Ended not closed")
		}
		exit := w.Wait()
		want := transport.ExitError{Worker: 3, PID: w.PID(), Status: "signal: killed", Code: -1, Signal: syscall.SIGKILL,
			Reason: "killed by brine: the test says so"}
		if *exit != want {
			t.Errorf("exit %+v, want %+v", *exit, want)
		}
		if alive(w.PID()) {
			t.Errorf("worker %d alive", w.PID())
		}
	})
}

// Terminate sends SIGTERM, which cancels the running task: the worker
// answers it, and exits at the end of its input.
func TestTerminate(t *testing.T) {
	w := start(t, newTransport(t, plugin.NetRPC), spec(0))
	call := task.Bind(jobs.Fault, jobs.FaultSpec{Mode: "hang"}).Call(1)
	a, _ := call.AppendArgs(nil)
	frame, _ := wire.AppendTasks(nil, []wire.Task{{ID: 1, Func: call.Func(), Bound: call.Bound(), Args: a}})
	if err := w.Send(frame); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the task is running
	w.Terminate("the test is over")
	body, err := w.Next(nil)
	if err != nil {
		t.Fatal(err)
	}
	if rs, err := wire.DecodeResults(body, nil); err != nil || len(rs) != 1 || rs[0].Err == nil {
		t.Errorf("results %+v, %v: want task 1 cancelled", rs, err)
	}
	w.CloseInput()
	drain(w)
	if exit := w.Wait(); exit.Code != 0 || exit.Reason != "killed by brine: the test is over" {
		t.Errorf("exit %+v", exit)
	}
}

// A start that fails leaves no process and no file behind, and says why.
func TestStartFails(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		command []string
		spec    transport.Spec
		ctx     func() context.Context
		want    string
	}{
		{"no such program", []string{"/nonexistent/worker"}, spec(0), context.Background, "no such file"},
		{"not a plugin", []string{"/bin/true"}, spec(0), context.Background, "go-plugin's handshake"},
		{"silent", []string{"/bin/sleep", "30"}, transport.Spec{Logger: zerolog.Nop(), HandshakeTimeout: 200 * time.Millisecond},
			context.Background, "HandshakeTimeout"},
		{"interrupted", []string{"/bin/sleep", "30"}, spec(0), func() context.Context {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			t.Cleanup(cancel)
			return ctx
		}, "interrupted before its hello: context deadline exceeded"},
		{"later protocol", []string{self}, spec(0, envLaterHello+"=1"), context.Background, "protocol"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tmp := shortTempDir(t)
			t.Setenv("TMPDIR", tmp)
			tr, err := plugin.New(plugin.Config{Command: c.command})
			if err != nil {
				t.Fatal(err)
			}
			w, err := tr.Start(c.ctx(), c.spec)
			if err == nil {
				w.Kill("it should not have started")
				w.Wait()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to say %q", err, c.want)
			}
			var verr *wire.VersionError
			if c.name == "later protocol" && !errors.As(err, &verr) {
				t.Errorf("error %v is no *wire.VersionError", err)
			}
			checkNoChildren(t)
			checkEmpty(t, tmp)
			tr.Close()
		})
	}
}

// A closed transport starts nothing.
func TestStartAfterClose(t *testing.T) {
	tr := newTransport(t, plugin.NetRPC)
	tr.Close()
	if _, err := tr.Start(context.Background(), spec(0)); err == nil {
		t.Fatal("a closed transport started a worker")
	}
}

// getenv returns the worker's environment entry of its argument.
var getenv = task.Register("plugintest.getenv", func(_ context.Context, key string) (string, error) {
	return os.Getenv(key), nil
})

// Tasks, and the programs they start, do not inherit go-plugin's magic
// cookie: a worker they start over pipes would take itself for a plugin.
func TestCookieNotInherited(t *testing.T) {
	p := startPool(t, newTransport(t, plugin.NetRPC), pool.WithWorkers(1))
	got, err := pool.Map(bounded(t), p, getenv, []string{"BRINE_PLUGIN", "BRINE_WORKER"})
	if err != nil || got[0] != "" || got[1] != "1" {
		t.Errorf("BRINE_PLUGIN=%q, BRINE_WORKER=%q, %v; want the cookie gone and the marker kept", got[0], got[1], err)
	}
}
