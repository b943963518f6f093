package wire_test

import (
	"bytes"
	"math"
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/brinehq/brine/pkg/wire"
)

// TestBodiesDecodeWithMsgpack checks every body we encode against an
// independent decoder: vmihailenco/msgpack must read it, to its last byte,
// as the array PROTOCOL.md §4 describes.
func TestBodiesDecodeWithMsgpack(t *testing.T) {
	for _, c := range roundTrips {
		b := body(t, appendMsg(t, nil, c.msg))
		r := bytes.NewReader(b)
		var got []any
		if err := msgpack.NewDecoder(r).Decode(&got); err != nil {
			t.Fatalf("%s: msgpack cannot decode the body: %v", c.name, err)
		}
		if r.Len() != 0 {
			t.Errorf("%s: %d bytes after the message array", c.name, r.Len())
		}
		if w := libShape(t, c.msg); !reflect.DeepEqual(norm(got), w) {
			t.Errorf("%s: msgpack reads\n %s\nwant\n %s", c.name, short(norm(got)), short(w))
		}
	}
}

// libShape is the generic msgpack value of message m, as norm gives it.
func libShape(t *testing.T, m any) []any {
	switch m := m.(type) {
	case wire.Hello:
		strs := func(ss []string) []any {
			out := make([]any, len(ss))
			for i, s := range ss {
				out[i] = s
			}
			return out
		}
		h := []any{int64(wire.TypeHello), int64(m.Version), int64(m.PID), strs(m.Funcs)}
		if len(m.Features) > 0 {
			h = append(h, strs(m.Features))
		}
		return h
	case wire.Calls:
		args := make([]any, len(m.Args))
		for i, a := range m.Args {
			args[i] = libValue(t, a)
		}
		return []any{int64(wire.TypeCalls), unsigned(m.First), m.Func, libValue(t, m.Bound), args}
	case wire.Welcome:
		return []any{int64(wire.TypeWelcome), int64(m.Version), int64(m.Worker)}
	case tasks:
		ts := make([]any, len(m))
		for i, x := range m {
			ts[i] = []any{unsigned(x.ID), x.Func, libValue(t, x.Bound), libValue(t, x.Args)}
			if !x.Lane.IsZero() {
				ts[i] = append(ts[i].([]any), []any{unsigned(x.Lane.Pos), unsigned(x.Lane.Len)})
			}
		}
		return []any{int64(wire.TypeTasks), ts}
	case results:
		rs := make([]any, len(m))
		for i, x := range m {
			var value, err any
			if x.Err != nil {
				err = []any{x.Err.Kind, x.Err.Message, x.Err.Stack}
			} else {
				value = libValue(t, x.Value)
			}
			rs[i] = []any{unsigned(x.ID), value, err, unsigned(x.Nanos)}
			if x.Err == nil && !x.Lane.IsZero() {
				rs[i] = []any{unsigned(x.ID), nil, nil, unsigned(x.Nanos), []any{unsigned(x.Lane.Pos), unsigned(x.Lane.Len)}}
			}
		}
		return []any{int64(wire.TypeResults), rs}
	case shutdown:
		return []any{int64(wire.TypeShutdown)}
	}
	t.Fatalf("libShape: %T", m)
	return nil
}

// unsigned is how norm represents an unsigned field.
func unsigned(v uint64) any {
	if v <= math.MaxInt64 {
		return int64(v)
	}
	return v
}

// libValue decodes an embedded raw value with msgpack; empty is nil.
func libValue(t *testing.T, raw []byte) any {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if err := msgpack.Unmarshal(raw, &v); err != nil {
		t.Fatalf("test value % x: %v", raw[:min(len(raw), 16)], err)
	}
	return norm(v)
}

// norm maps msgpack's generic values onto fewer types: every integer to
// int64 (uint64 above MaxInt64), so that comparisons ignore the width an
// encoder chose.
func norm(v any) any {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return unsigned(rv.Uint())
	}
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = norm(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = norm(e)
		}
		return out
	}
	return v
}

// TestMsgpackBodiesDecode checks the other direction: bodies that the
// msgpack library writes from plain Go values, with its own choice of
// integer widths (int64 → 0xd3, uint8 → 0xcc, …) and bin for []byte, decode.
func TestMsgpackBodiesDecode(t *testing.T) {
	enc := func(v any) []byte {
		b, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	hello, err := wire.DecodeHello(enc([]any{uint8(1), int64(1), int32(99), []string{"a", "b"}}))
	if err != nil || !reflect.DeepEqual(hello, wire.Hello{Version: 1, PID: 99, Funcs: []string{"a", "b"}}) {
		t.Errorf("DecodeHello = %+v, %v", hello, err)
	}
	welcome, err := wire.DecodeWelcome(enc([]any{int16(2), uint64(1), int8(-5)}))
	if err != nil || welcome != (wire.Welcome{Version: 1, Worker: -5}) {
		t.Errorf("DecodeWelcome = %+v, %v", welcome, err)
	}
	ts, err := wire.DecodeTasks(enc([]any{int64(3), []any{
		[]any{uint64(math.MaxUint64), []byte("echo"), nil, []any{[]byte{1, 2}}},
		[]any{int32(7), "primes", []any{int64(10000)}, []any{int8(3)}, nil, "extra"},
	}}), nil)
	want := []wire.Task{
		{ID: math.MaxUint64, Func: "echo", Args: enc([]any{[]byte{1, 2}})},
		{ID: 7, Func: "primes", Bound: enc([]any{int64(10000)}), Args: enc([]any{int8(3)})},
	}
	if err != nil || !reflect.DeepEqual(ts, want) {
		t.Errorf("DecodeTasks = %+v, %v", ts, err)
	}
	rs, err := wire.DecodeResults(enc([]any{uint32(4), []any{
		[]any{int64(1), float64(2.5), nil, uint16(300)},
		[]any{uint8(2), nil, []string{"panic", "boom"}, int8(0)},
	}}), nil)
	wantR := []wire.Result{
		{ID: 1, Value: enc(2.5), Nanos: 300},
		{ID: 2, Err: &wire.Error{Kind: "panic", Message: "boom"}},
	}
	if err != nil || !reflect.DeepEqual(rs, wantR) {
		t.Errorf("DecodeResults = %+v, %v", rs, err)
	}
	if typ, err := wire.PeekType(enc([]any{int64(5)})); err != nil || typ != wire.TypeShutdown {
		t.Errorf("PeekType(shutdown) = %v, %v", typ, err)
	}
}
