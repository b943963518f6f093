package pool_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
	"github.com/brinehq/brine/pkg/worker"
)

// Environment of misbehaving test workers.
const (
	// envMisbehave names what a worker does wrong (see misbehave).
	envMisbehave = "BRINE_TEST_MISBEHAVE"
	// envMarker is a file path: of the workers of a pool, only the first
	// to create it misbehaves, once, and writes its pid there; the others,
	// and every replacement, are good workers.
	envMarker = "BRINE_TEST_MARKER"
)

// misbehave runs a worker that breaks the protocol as mode says, and
// returns its exit status. Modes "hello-*" break the handshake, in every
// worker; the others break the protocol after it, in one worker (envMarker),
// except "no-calls": every worker serves well but offers no Calls messages,
// as a worker of another implementation may not, and exits 1 if it gets one;
// and "tell-spin", the same but answering every task with how long its frame
// asked the worker to spin, in nanoseconds.
func misbehave(mode string) int {
	if mode == "no-calls" || mode == "tell-spin" {
		return serveWithoutCalls(mode == "tell-spin")
	}
	if mode == "later-version" { // a true worker, built from a later protocol
		return worker.Main(worker.WithOutput(func(out io.Writer) io.Writer { return &laterVersion{out: out} }))
	}
	if mode == "unsorted-hello" { // a worker that lists its functions backwards
		return worker.Main(worker.WithOutput(func(out io.Writer) io.Writer { return &reversedHello{out: out} }))
	}
	if !strings.HasPrefix(mode, "hello-") && !firstToMisbehave() {
		return worker.Main()
	}
	// Only now: an *os.File that is dropped closes its descriptor when
	// collected, under worker.Main's feet.
	in, out := os.NewFile(wire.InFD, "in"), os.NewFile(wire.OutFD, "out")
	switch mode {
	case "hello-garbage": // a frame that is no Hello
		out.Write([]byte{0, 0, 0, 5, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1})
		time.Sleep(time.Hour)
	case "hello-huge": // a length no Hello may have
		out.Write([]byte{0xff, 0xff, 0xff, 0xff})
		time.Sleep(time.Hour)
	case "hello-exit":
		return 7
	case "hello-silent":
		time.Sleep(time.Hour)
	case "hello-version": // a worker built from a later protocol
		hello, _ := wire.AppendHello(nil, wire.Hello{Version: wire.Version + 1, PID: os.Getpid()})
		out.Write(hello)
		time.Sleep(time.Hour)
	}
	h := wire.Hello{Version: wire.Version, PID: os.Getpid(), Funcs: task.Default.Names()}
	if mode == "lane-outside" {
		h.Features = []string{wire.FeatureLanes} // as if it had mapped them
	}
	hello, _ := wire.AppendHello(nil, h)
	out.Write(hello)
	r := wire.NewReader(in, 4<<10, 0)
	if _, err := r.Next(); err != nil { // the Welcome
		return 1
	}
	if mode == "stall" { // never read again: the coordinator's writes fill the pipe
		time.Sleep(time.Hour)
	}
	r.Next() // the first Tasks frame
	out.Write(badOutput(mode))
	if mode == "truncated" {
		return 0
	}
	time.Sleep(time.Hour) // the coordinator must kill it
	return 1
}

// badOutput is what a misbehaving worker sends instead of its results.
func badOutput(mode string) []byte {
	switch mode {
	case "garbage": // a well-framed body that is not msgpack
		return []byte{0, 0, 0, 3, 0xc1, 0xc1, 0xc1}
	case "oversize": // a frame longer than any reader accepts
		return binary.BigEndian.AppendUint32(nil, wire.MaxFrame+1)
	case "truncated": // a frame cut short by the worker's exit
		return []byte{0, 0, 0, 100, 0x92, 4}
	case "foreign": // a result for a task it was never sent
		b, _ := wire.AppendResults(nil, []wire.Result{{ID: 1 << 60, Value: []byte{0xc0}}})
		return b
	case "lane-unoffered": // a value in a lane it never declared
		return appendFrame(wire.AppendLaneResult(nil, 1, 0, wire.Ref{Pos: 0, Len: 10}))
	case "lane-outside": // a value past the end of its lane
		return appendFrame(wire.AppendLaneResult(nil, 1, 0, wire.Ref{Pos: 1 << 40, Len: 1 << 30}))
	case "type": // a second Hello where results belong
		b, _ := wire.AppendHello(nil, wire.Hello{Version: wire.Version})
		return b
	}
	panic("unknown misbehaviour " + mode)
}

// appendFrame wraps one result element in a Results frame.
func appendFrame(result []byte) []byte {
	b, bw := wire.BeginResults(nil)
	b, _ = bw.End(append(b, result...), 1)
	return b
}

func firstToMisbehave() bool {
	f, err := os.OpenFile(os.Getenv(envMarker), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) || err != nil {
		return false
	}
	defer f.Close()
	f.WriteString(strconv.Itoa(os.Getpid()))
	return true
}

// serveWithoutCalls is a worker whose Hello lists no features: it answers
// Tasks, each result in a frame of its own, until a Shutdown or the end of
// its input, and exits 1 on anything else. With tellSpin, each result's
// value is the spin its frame asked for (wire.DecodeTasksSpin).
func serveWithoutCalls(tellSpin bool) int {
	in, out := os.NewFile(wire.InFD, "in"), os.NewFile(wire.OutFD, "out")
	hello, _ := wire.AppendHello(nil, wire.Hello{Version: wire.Version, PID: os.Getpid(), Funcs: task.Default.Names()})
	out.Write(hello)
	r := wire.NewReader(in, 4<<10, 0)
	if _, err := r.Next(); err != nil { // the Welcome
		return 1
	}
	for {
		body, err := r.Next()
		if errors.Is(err, io.EOF) {
			return 0
		}
		typ, perr := wire.PeekType(body)
		if err != nil || perr != nil || typ == wire.TypeShutdown {
			return map[bool]int{true: 0, false: 1}[typ == wire.TypeShutdown]
		}
		ts, spin, err := wire.DecodeTasksSpin(body, nil)
		if err != nil {
			return 1
		}
		var frame []byte
		for _, t := range ts {
			res := wire.Result{ID: t.ID}
			if tellSpin {
				res.Value = wire.AppendInt(nil, int64(spin))
			} else if e, ok := task.Default.Lookup(t.Func); !ok {
				res.Err = &wire.Error{Kind: wire.KindUnknown, Message: t.Func}
			} else {
				res.Value, res.Err = e.Invoke(context.Background(), t.Bound, t.Args, nil)
			}
			if frame, err = wire.AppendResults(frame, []wire.Result{res}); err != nil {
				return 1
			}
		}
		if _, err := out.Write(frame); err != nil {
			return 1
		}
	}
}

// reversedHello writes a worker's Hello with its functions listed in
// reverse, and the rest of its output as it is.
type reversedHello struct {
	out  io.Writer
	done bool
}

func (r *reversedHello) Write(p []byte) (int, error) {
	if r.done {
		return r.out.Write(p)
	}
	r.done = true
	h, err := wire.DecodeHello(p[wire.HeaderSize:])
	if err != nil {
		return 0, err
	}
	slices.Reverse(h.Funcs)
	frame, err := wire.AppendHello(nil, h)
	if err != nil {
		return 0, err
	}
	if _, err := r.out.Write(frame); err != nil {
		return 0, err
	}
	return len(p), nil
}

// laterVersion writes a worker's Hello as a worker of the next protocol
// version would, and the rest of its output as it is.
type laterVersion struct {
	out  io.Writer
	done bool
}

func (l *laterVersion) Write(p []byte) (int, error) {
	if l.done {
		return l.out.Write(p)
	}
	l.done = true
	h, err := wire.DecodeHello(p[wire.HeaderSize:])
	if err != nil {
		return 0, err
	}
	h.Version++
	frame, err := wire.AppendHello(nil, h)
	if err != nil {
		return 0, err
	}
	if _, err := l.out.Write(frame); err != nil {
		return 0, err
	}
	return len(p), nil
}
