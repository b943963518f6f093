package pipe_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/transport"
	"github.com/brinehq/brine/pkg/transport/pipe"
)

// A worker that ends before its Hello is explained by what ended it, as
// its stderr and exit status tell: a Go runtime denied a thread names the
// limit to raise, a crash gives its first line, and only a program that
// just exited is asked whether it is a brine worker at all.
func TestExitBeforeHello(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		want, not    []string
	}{
		{"no thread", `echo "runtime: failed to create new OS thread (have 2 already; errno=11)" >&2
			echo "runtime: may need to increase max user processes (ulimit -u)" >&2
			echo "fatal error: newosproc" >&2
			for i in 1 2 3 4 5 6; do echo "	/usr/local/go/src/runtime/proc.go:$i" >&2; done
			exit 2`,
			[]string{"could not create a thread", "a limit on processes and threads is reached", "ulimit -u",
				"it crashed: runtime: failed to create new OS thread"},
			[]string{"brine worker"}},
		{"crash", `echo "panic: boom" >&2; for i in 1 2 3 4 5 6; do echo "	main.go:$i" >&2; done; exit 2`,
			[]string{"exited before its hello: it crashed", "it crashed: panic: boom", "exit status 2"},
			[]string{"brine worker", "limit"}},
		{"exit", `exit 0`,
			[]string{"exited before its hello: is /bin/sh a brine worker that calls worker.Main?"},
			[]string{"crashed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := pipe.New(pipe.Config{Command: []string{"/bin/sh", "-c", tc.script}})
			if err != nil {
				t.Fatal(err)
			}
			w, err := tr.Start(context.Background(), transport.Spec{Logger: zerolog.Nop(), HandshakeTimeout: 10 * time.Second})
			if err == nil {
				w.Kill("test")
				w.Wait()
				t.Fatal("a worker that exited before its hello was started")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%v\nwants %q", err, want)
				}
			}
			for _, not := range tc.not {
				if strings.Contains(err.Error(), not) {
					t.Errorf("%v\nshould not say %q", err, not)
				}
			}
		})
	}
}
