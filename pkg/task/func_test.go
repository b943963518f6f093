package task_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/brinehq/brine/pkg/task"
	"github.com/brinehq/brine/pkg/wire"
)

var (
	negate = task.Register("tasktest.negate", func(_ context.Context, x int) (int, error) {
		if x == 13 {
			panic("unlucky")
		}
		if x == 0 {
			return 0, errors.New("zero has no sign")
		}
		return -x, nil
	})
	repeat = task.Register2("tasktest.repeat", func(_ context.Context, n int, s string) (string, error) {
		return strings.Repeat(s, n), nil
	})
)

func mustPanic(t *testing.T, want string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		p := recover()
		if p == nil || !strings.Contains(fmt.Sprint(p), want) {
			t.Errorf("panic %v, want one saying %q", p, want)
		}
	}()
	fn()
}

func TestRegisterRefusesDuplicateAndEmptyNames(t *testing.T) {
	mustPanic(t, `a function is already registered as "tasktest.negate": choose another name`, func() {
		task.Register("tasktest.negate", func(context.Context, string) (string, error) { return "", nil })
	})
	mustPanic(t, `already registered as "tasktest.repeat"`, func() {
		task.Register2("tasktest.repeat", func(context.Context, int, int) (int, error) { return 0, nil })
	})
	mustPanic(t, "empty name", func() {
		task.Register("", func(context.Context, int) (int, error) { return 0, nil })
	})
}

func TestHandles(t *testing.T) {
	if negate.Name() != "tasktest.negate" || negate.Bound() != nil || negate.Err() != nil {
		t.Errorf("Register: %q %x %v", negate.Name(), negate.Bound(), negate.Err())
	}
	three := task.Bind(repeat, 3)
	// The bound argument travels encoded: a msgpack array holding 3.
	if three.Name() != "tasktest.repeat" || !bytes.Equal(three.Bound(), []byte{0x91, 0x03}) || three.Err() != nil {
		t.Errorf("Bind: %q %x %v", three.Name(), three.Bound(), three.Err())
	}
	v, err := three.Call("ab").Run(context.Background())
	if v != "ababab" || err != nil {
		t.Errorf("Run: %v, %v", v, err)
	}
	// Func2.Call is Bind and Call in one.
	c := repeat.Call(2, "x")
	args, err := c.AppendArgs(nil)
	if c.Func() != "tasktest.repeat" || !bytes.Equal(c.Bound(), []byte{0x91, 0x02}) || !bytes.Equal(args, []byte{0x91, 0xa1, 'x'}) || err != nil {
		t.Errorf("Func2.Call: %q %x %x %v", c.Func(), c.Bound(), args, err)
	}
	if v, err := c.Run(context.Background()); v != "xx" || err != nil {
		t.Errorf("Func2.Call Run: %v, %v", v, err)
	}
}

// anyArgs takes interfaces, which registration cannot look into: what they
// hold is checked when a call is made.
var anyArgs = task.Register2("tasktest.any", func(_ context.Context, b, a any) (string, error) {
	return fmt.Sprint(b, a), nil
})

// Values that msgpack cannot encode are refused with a message that says
// why and what to do instead.
func TestUnencodableArguments(t *testing.T) {
	bad := task.Bind(anyArgs, any(make(chan int)))
	if err := bad.Err(); err == nil || !strings.Contains(err.Error(), "cannot bind chan int to tasktest.any: it is a channel") {
		t.Errorf("Bind: %v", err)
	}
	if err := task.Bind(anyArgs, any(func() {})).Err(); err == nil || !strings.Contains(err.Error(), "functions travel by name") {
		t.Errorf("Bind: %v", err)
	}
	if err := anyArgs.Call(make(chan int), 1).Err(); err == nil {
		t.Error("Func2.Call with a channel: no error")
	}
	b := []byte("keep")
	out, err := task.Bind(anyArgs, any(1)).Call(func() int { return 1 }).AppendArgs(b)
	if err == nil || !strings.Contains(err.Error(), "cannot send a func() int to tasktest.any") || string(out) != "keep" {
		t.Errorf("AppendArgs: %q, %v", out, err)
	}
}

func TestDecode(t *testing.T) {
	raw, _ := task.Marshal("xyz")
	if s, err := repeat.Decode(raw); s != "xyz" || err != nil {
		t.Errorf("got %q, %v", s, err)
	}
	if _, err := negate.Decode(raw); err == nil || !strings.Contains(err.Error(), "decoding the result of tasktest.negate") {
		t.Errorf("a string for an int: %v", err)
	}
}

// Only exported fields travel, as the Register documentation warns.
func TestUnexportedFieldsStayBehind(t *testing.T) {
	type point struct {
		X      int
		hidden int
	}
	raw, err := task.Marshal(point{X: 1, hidden: 2})
	var p point
	if err == nil {
		err = task.Unmarshal(raw, &p)
	}
	if err != nil || p != (point{X: 1}) {
		t.Errorf("got %+v, %v", p, err)
	}
}

// Entry.Invoke is what a worker does with a task: decode, call, encode, and
// report every failure as a *wire.Error.
func TestEntryInvoke(t *testing.T) {
	e, ok := task.Default.Lookup("tasktest.negate")
	if !ok || e.Arity() != 1 || e.Name() != "tasktest.negate" {
		t.Fatalf("Lookup: %v %v", e, ok)
	}
	args := func(v ...any) []byte { b, _ := task.Marshal(v); return b }
	ctx := context.Background()
	out, werr := e.Invoke(ctx, nil, args(5), []byte{0xff})
	if werr != nil || !bytes.Equal(out, []byte{0xff, 0xfb}) { // -5 as a negative fixint after the prefix
		t.Errorf("ok: %x %v", out, werr)
	}
	for _, tc := range []struct {
		args []byte
		kind string
		msg  string
	}{
		{args(0), wire.KindError, "zero has no sign"},
		{args(13), wire.KindPanic, "unlucky"},
		{args("x"), wire.KindBadArgs, "tasktest.negate: argument 1"},
		{args(1, 2), wire.KindBadArgs, "takes 1 arguments, got 2"},
	} {
		out, werr := e.Invoke(ctx, nil, tc.args, []byte{0xff})
		if werr == nil || werr.Kind != tc.kind || !strings.Contains(werr.Message, tc.msg) || !bytes.Equal(out, []byte{0xff}) {
			t.Errorf("%x: got %x %+v, want %s %q", tc.args, out, werr, tc.kind, tc.msg)
		}
		if tc.kind == wire.KindPanic && !strings.Contains(werr.Stack, "func_test.go") {
			t.Errorf("panic stack does not show the function:\n%s", werr.Stack)
		}
	}
	r, ok := task.Default.Lookup("tasktest.repeat")
	out, werr = r.Invoke(ctx, task.Bind(repeat, 2).Bound(), args("ab"), nil)
	if s, _ := repeat.Decode(out); !ok || werr != nil || s != "abab" {
		t.Errorf("bound: %q %v", s, werr)
	}
}

func TestRegistry(t *testing.T) {
	names := task.Default.Names()
	if missing, ok := task.Default.Has("tasktest.negate", "tasktest.repeat"); !ok {
		t.Errorf("Has: %q missing from %v", missing, names)
	}
	if missing, ok := task.Default.Has("tasktest.negate", "tasktest.nope"); ok || missing != "tasktest.nope" {
		t.Errorf("Has: %q %v", missing, ok)
	}
	if _, ok := task.NewRegistry().Lookup("tasktest.negate"); ok {
		t.Error("a new registry is not empty")
	}
}
