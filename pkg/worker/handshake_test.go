package worker_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/rs/zerolog"

	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
	"github.com/brinehq/brine/pkg/worker"
)

// A worker answered with a Welcome of another protocol version refuses to
// serve, with an error that says which side to rebuild, after its Hello.
func TestWelcomeVersionMismatch(t *testing.T) {
	welcome, _ := wire.AppendWelcome(nil, wire.Welcome{Version: wire.Version + 1})
	var out bytes.Buffer
	err := worker.Serve(context.Background(), bytes.NewReader(welcome), &out, task.Default, zerolog.Nop())
	var verr *wire.VersionError
	if !errors.As(err, &verr) || verr.Coordinator != wire.Version+1 || verr.Worker != wire.Version {
		t.Fatalf("Serve: %v, want a *wire.VersionError", err)
	}
	body, err := wire.NewReader(&out, 0, 0).Next()
	if err != nil {
		t.Fatal(err)
	}
	hello, err := wire.DecodeHello(body)
	if err != nil || hello.Version != wire.Version || len(hello.Funcs) == 0 {
		t.Fatalf("first frame %+v, %v: want a Hello of v%d naming its functions", hello, err, wire.Version)
	}
	if _, err := wire.NewReader(&out, 0, 0).Next(); !errors.Is(err, io.EOF) {
		t.Errorf("the worker wrote more than its Hello: %v", err)
	}
}
