package wire_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/brinehq/brine/pkg/wire"
)

// A Cancel round-trips, spans and all, and names exactly the ids of its
// spans.
func TestCancelRoundTrip(t *testing.T) {
	for _, spans := range [][]wire.Span{
		{},
		{{First: 1, Last: 1}},
		{{First: 7, Last: 9}, {First: 1 << 40, Last: 1<<64 - 1}},
	} {
		frame, err := wire.AppendCancel(nil, spans)
		if err != nil {
			t.Fatal(err)
		}
		body := frame[wire.HeaderSize:]
		if typ, err := wire.PeekType(body); err != nil || typ != wire.TypeCancel {
			t.Fatalf("type %v, %v", typ, err)
		}
		got, err := wire.DecodeCancel(body, nil)
		if err != nil || len(got) != len(spans) || len(spans) > 0 && !reflect.DeepEqual(got, spans) {
			t.Fatalf("%+v decodes as %+v, %v", spans, got, err)
		}
	}
	s := wire.Span{First: 7, Last: 9}
	if s.Has(6) || !s.Has(7) || !s.Has(9) || s.Has(10) {
		t.Error("Span.Has: wrong bounds")
	}
}

// Hostile Cancels are refused without allocating for what they declare: a
// span count past the bytes there, a span of one element, a span that is
// not an array; extra elements in a span are ignored.
func TestCancelHostile(t *testing.T) {
	for _, tc := range []struct {
		name string
		body []byte
		ok   bool
	}{
		{"four billion spans", []byte{0x92, 0x07, 0xdd, 0xff, 0xff, 0xff, 0xff}, false},
		{"short span", []byte{0x92, 0x07, 0x91, 0x91, 0x01}, false},
		{"span not an array", []byte{0x92, 0x07, 0x91, 0x01}, false},
		{"negative id", []byte{0x92, 0x07, 0x91, 0x92, 0xff, 0x01}, false},
		{"extra element", []byte{0x92, 0x07, 0x91, 0x93, 0x01, 0x02, 0xc0}, true},
	} {
		spans, err := wire.DecodeCancel(tc.body, nil)
		switch {
		case tc.ok && (err != nil || len(spans) != 1 || spans[0] != wire.Span{First: 1, Last: 2}):
			t.Errorf("%s: %+v, %v", tc.name, spans, err)
		case !tc.ok && !errors.Is(err, wire.ErrMalformed):
			t.Errorf("%s: %v, want ErrMalformed", tc.name, err)
		}
	}
}

// A failed result's error code crosses when set, and a result without one
// keeps the three-element error of older peers.
func TestErrorCodeRoundTrip(t *testing.T) {
	for _, code := range []string{"", "myapp.unlucky"} {
		rs := []wire.Result{{ID: 3, Err: &wire.Error{Kind: wire.KindError, Message: "m", Stack: "s", Code: code}, Nanos: 9}}
		frame, err := wire.AppendResults(nil, rs)
		if err != nil {
			t.Fatal(err)
		}
		got, err := wire.DecodeResults(frame[wire.HeaderSize:], nil)
		if err != nil || len(got) != 1 || got[0].Err == nil || *got[0].Err != *rs[0].Err {
			t.Fatalf("code %q: decoded %+v, %v", code, got, err)
		}
		head := wire.AppendResultTail(wire.AppendResultHead(nil, 3), rs[0].Err, 9)
		if code == "" && !bytes.Contains(head, []byte{0x93, 0xa5, 'e', 'r', 'r', 'o', 'r'}) {
			t.Errorf("an error without a code is not encoded with 3 elements: % x", head)
		}
	}
}
