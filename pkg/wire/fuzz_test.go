package wire_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/brinehq/brine/pkg/wire"
)

// FuzzDecode feeds arbitrary bytes to a Reader and, as a body, to every
// decoder. Nothing may panic; every error wraps a sentinel of the package;
// and whatever decodes re-encodes to something that decodes to the same
// values. Seeds: testdata/fuzz/FuzzDecode (see TestFuzzCorpus).
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r := wire.NewReader(bytes.NewReader(data), 0, 0)
		for {
			b, err := r.Next()
			if errors.Is(err, wire.ErrEmptyFrame) {
				continue // the stream is still in step
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				if !errors.Is(err, wire.ErrFrameTooLarge) && !errors.Is(err, wire.ErrTruncated) {
					t.Fatalf("Next: unexpected error %v", err)
				}
				break
			}
			checkBody(t, b)
		}
		checkBody(t, data)
	})
}

func checkBody(t *testing.T, b []byte) {
	malformed := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, wire.ErrMalformed) {
			t.Fatalf("%s: error %v does not wrap ErrMalformed", what, err)
		}
	}
	if _, err := wire.PeekType(b); err != nil {
		malformed("PeekType", err)
	}
	if h, err := wire.DecodeHello(b); err != nil {
		malformed("DecodeHello", err)
	} else {
		frame, err := wire.AppendHello(nil, h)
		again, err2 := wire.DecodeHello(frameBody(t, frame, err))
		if err2 != nil || !reflect.DeepEqual(h, again) {
			t.Fatalf("hello: %+v re-decodes as %+v, %v", h, again, err2)
		}
	}
	if w, err := wire.DecodeWelcome(b); err != nil {
		malformed("DecodeWelcome", err)
	} else {
		frame, err := wire.AppendWelcome(nil, w)
		again, err2 := wire.DecodeWelcome(frameBody(t, frame, err))
		if err2 != nil || again != w {
			t.Fatalf("welcome: %+v re-decodes as %+v, %v", w, again, err2)
		}
	}
	if ts, err := wire.DecodeTasks(b, nil); err != nil {
		malformed("DecodeTasks", err)
	} else {
		for _, task := range ts {
			for _, raw := range [][]byte{task.Bound, task.Args} {
				if raw != nil {
					if err := wire.CheckValue(raw); err != nil {
						t.Fatalf("task %d: decoded raw % x fails CheckValue: %v", task.ID, raw, err)
					}
				}
			}
		}
		frame, err := wire.AppendTasks(nil, ts)
		again, err2 := wire.DecodeTasks(frameBody(t, frame, err), nil)
		if err2 != nil || !reflect.DeepEqual(ts, again) {
			t.Fatalf("tasks: %+v re-decode as %+v, %v", ts, again, err2)
		}
		if _, spin, err := wire.DecodeTasksSpin(b, nil); err != nil {
			t.Fatalf("DecodeTasksSpin fails (%v) where DecodeTasks did not", err)
		} else {
			frame, w := wire.BeginTasks(nil)
			for i := range ts {
				frame = wire.AppendTask(frame, &ts[i])
			}
			frame, err := w.EndSpin(frame, len(ts), spin)
			again, spin2, err2 := wire.DecodeTasksSpin(frameBody(t, frame, err), nil)
			if err2 != nil || !reflect.DeepEqual(ts, again) || spin2 != spin {
				t.Fatalf("tasks spinning %v: %+v re-decode as %+v spinning %v, %v", spin, ts, again, spin2, err2)
			}
		}
	}
	var c wire.Calls
	first, n, spanErr := wire.CallsSpan(b)
	if spanErr != nil {
		malformed("CallsSpan", spanErr)
	}
	if err := wire.DecodeCalls(b, &c); err != nil {
		malformed("DecodeCalls", err)
	} else {
		if spanErr != nil || first != c.First || n != len(c.Args) {
			t.Fatalf("CallsSpan: %d calls from %d, %v; DecodeCalls: %d from %d", n, first, spanErr, len(c.Args), c.First)
		}
		ts := c.Tasks(nil)
		if len(ts) > 0 && ts[len(ts)-1].ID-ts[0].ID != uint64(len(ts)-1) {
			t.Fatalf("calls: ids %d to %d for %d calls", ts[0].ID, ts[len(ts)-1].ID, len(ts))
		}
		frame, err := wire.AppendCalls(nil, &c)
		var again wire.Calls
		err2 := wire.DecodeCalls(frameBody(t, frame, err), &again)
		if err2 != nil || !reflect.DeepEqual(c, again) {
			t.Fatalf("calls: %+v re-decode as %+v, %v", c, again, err2)
		}
	}
	if spans, err := wire.DecodeCancel(b, nil); err != nil {
		malformed("DecodeCancel", err)
	} else {
		frame, err := wire.AppendCancel(nil, spans)
		again, err2 := wire.DecodeCancel(frameBody(t, frame, err), nil)
		if err2 != nil || !reflect.DeepEqual(spans, again) {
			t.Fatalf("cancel: %+v re-decodes as %+v, %v", spans, again, err2)
		}
	}
	if rs, err := wire.DecodeResults(b, nil); err != nil {
		malformed("DecodeResults", err)
	} else {
		for _, r := range rs {
			// A value, in the frame or in the lane, or an error.
			inLane := !r.Lane.IsZero()
			if (r.Err == nil) != (r.Value != nil || inLane) || r.Value != nil && inLane {
				t.Fatalf("result %d: Value % x, Lane %+v with Err %v: want exactly one", r.ID, r.Value, r.Lane, r.Err)
			}
		}
		frame, err := wire.AppendResults(nil, rs)
		again, err2 := wire.DecodeResults(frameBody(t, frame, err), nil)
		if err2 != nil || !reflect.DeepEqual(rs, again) {
			t.Fatalf("results: %+v re-decode as %+v, %v", rs, again, err2)
		}
	}
	if _, err := wire.SplitArray(b, nil); err != nil {
		malformed("SplitArray", err)
	}
	if err := wire.CheckValue(b); err != nil {
		malformed("CheckValue", err)
	} else {
		// A value that passed the checks is safe for the reflective
		// decoder (DESIGN: hostile input); it may refuse it, not crash.
		var v any
		_ = msgpack.Unmarshal(b, &v)
	}
}

// frameBody returns the body of a frame we just encoded.
func frameBody(t *testing.T, frame []byte, err error) []byte {
	t.Helper()
	if err != nil {
		t.Fatalf("re-encoding: %v", err)
	}
	b, err := wire.NewReader(bytes.NewReader(frame), 0, 0).Next()
	if err != nil {
		t.Fatalf("reading back a frame we wrote: %v", err)
	}
	return b
}
