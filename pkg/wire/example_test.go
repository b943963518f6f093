package wire_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/brinehq/brine/pkg/wire"
)

// A coordinator sends a batch of tasks; the worker reads the frame, checks
// its type and decodes the batch.
func ExampleAppendTasks() {
	var pipe bytes.Buffer
	frame, err := wire.AppendTasks(nil, []wire.Task{
		{ID: 1, Func: "primes", Bound: []byte{0x91, 0xcd, 0x27, 0x10}, Args: []byte{0x91, 0x00}},
		{ID: 2, Func: "echo", Args: []byte{0x91, 0xa2, 'h', 'i'}},
	})
	if err != nil {
		panic(err)
	}
	pipe.Write(frame)

	r := wire.NewReader(&pipe, 0, 0)
	body, _ := r.Next()
	typ, _ := wire.PeekType(body)
	ts, _ := wire.DecodeTasks(body, nil)
	fmt.Println(typ, len(ts))
	for _, t := range ts {
		fmt.Printf("%d %s bound=% x args=% x\n", t.ID, t.Func, t.Bound, t.Args)
	}
	// Output:
	// tasks 2
	// 1 primes bound=91 cd 27 10 args=91 00
	// 2 echo bound= args=91 a2 68 69
}

// A worker builds its Results frame in place, one result at a time, and
// sends it when it decides to; the count is written at the end.
func ExampleBeginResults() {
	b, w := wire.BeginResults(nil)
	b = wire.AppendResult(b, &wire.Result{ID: 1, Value: []byte{0x2a}, Nanos: 900})
	b = wire.AppendResult(b, &wire.Result{ID: 2, Err: &wire.Error{Kind: wire.KindPanic, Message: "boom"}})
	frame, err := w.End(b, 2)
	if err != nil {
		panic(err)
	}
	body, _ := wire.NewReader(bytes.NewReader(frame), 0, 0).Next()
	rs, _ := wire.DecodeResults(body, nil)
	for _, r := range rs {
		fmt.Printf("%d value=% x err=%v\n", r.ID, r.Value, r.Err)
	}
	// Output:
	// 1 value=2a err=<nil>
	// 2 value= err=panic: boom
}

// A Reader refuses a declared length over its maximum before allocating.
func ExampleReader() {
	hostile := []byte{0xff, 0xff, 0xff, 0xff} // declares a 4 GiB body
	_, err := wire.NewReader(bytes.NewReader(hostile), 0, 0).Next()
	fmt.Println(errors.Is(err, wire.ErrFrameTooLarge), err)

	_, err = wire.NewReader(bytes.NewReader(nil), 0, 0).Next()
	fmt.Println(err == io.EOF)
	// Output:
	// true wire: frame too large: 4294967295 > 67108864
	// true
}
