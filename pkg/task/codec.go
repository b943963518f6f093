package task

import (
	"bytes"
	"encoding/binary"
	"math"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

// appender is an io.Writer that appends to a byte slice, so that the msgpack
// encoder writes straight into a frame buffer.
type appender struct{ b []byte }

func (a *appender) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

type encoder struct {
	w   appender
	enc *msgpack.Encoder
}

var encoders = sync.Pool{New: func() any {
	e := &encoder{}
	e.enc = msgpack.NewEncoder(&e.w)
	// Compact integers make the encoding of a value independent of its Go
	// integer type, so thread and process runs digest to the same bytes.
	e.enc.UseCompactInts(true)
	e.enc.UseCompactFloats(true)
	return e
}}

// AppendValue appends the msgpack encoding of v to b. On failure it returns
// b unchanged and the encoder's error, e.g. for a func or a channel.
func AppendValue(b []byte, v any) ([]byte, error) {
	e := encoders.Get().(*encoder)
	e.w.b = b
	err := e.enc.Encode(v)
	out := e.w.b
	e.w.b = nil
	encoders.Put(e)
	if err != nil {
		return b, err
	}
	return out, nil
}

// Marshal returns the msgpack encoding of v, encoded as AppendValue does.
func Marshal(v any) ([]byte, error) { return AppendValue(nil, v) }

type decoder struct {
	r   bytes.Reader
	dec *msgpack.Decoder
}

var decoders = sync.Pool{New: func() any {
	d := &decoder{}
	d.dec = msgpack.NewDecoder(&d.r)
	return d
}}

// Unmarshal decodes one msgpack value from raw into v. raw must have passed
// the wire package's checks (wire.SplitArray, wire.CheckValue) when it came
// from a pipe: they bound every length it declares by its size.
func Unmarshal(raw []byte, v any) error {
	d := decoders.Get().(*decoder)
	d.r.Reset(raw)
	d.dec.Reset(&d.r)
	err := d.dec.Decode(v)
	d.r.Reset(nil)
	decoders.Put(d)
	return err
}

// DecodeAny decodes one msgpack value into the untyped model, the value
// Unmarshal into an empty interface gives (int8…int64, uint8…uint64,
// float32, float64, string, []byte, []any, map[string]any, nil). Scalars,
// the most common results, skip the reflective decoder.
func DecodeAny(raw []byte) (any, error) {
	if v, ok := decodeScalar(raw); ok {
		return v, nil
	}
	var v any
	err := Unmarshal(raw, &v)
	return v, err
}

// ScalarInt tells, without decoding into an interface or allocating,
// whether raw is exactly one msgpack nil, bool, number, string or binary
// (scalar), and if it is an integer, its value as DecodeAny's would convert
// to int64 (wrapping above math.MaxInt64). For anything else scalar is
// false and only DecodeAny can tell a valid value from an invalid one.
func ScalarInt(raw []byte) (n int64, isInt, scalar bool) {
	if n, ok := decodeInt(raw); ok {
		return n, true, true
	}
	if len(raw) == 9 && raw[0] == 0xcf { // a uint64 above math.MaxInt64
		return int64(binary.BigEndian.Uint64(raw[1:])), true, true
	}
	if _, _, ok := payload(raw); ok {
		return 0, false, true
	}
	switch {
	case len(raw) == 1:
		return 0, false, raw[0] == 0xc0 || raw[0] == 0xc2 || raw[0] == 0xc3
	case len(raw) == 5:
		return 0, false, raw[0] == 0xca
	case len(raw) == 9:
		return 0, false, raw[0] == 0xcb
	}
	return 0, false, false
}

// decodeScalar decodes raw if it is exactly one msgpack nil, bool, number,
// string or binary; ok is false for anything else, left to Unmarshal.
func decodeScalar(raw []byte) (v any, ok bool) {
	if len(raw) == 0 {
		return nil, false
	}
	if p, bin, ok := payload(raw); ok {
		if bin {
			return bytes.Clone(p), true
		}
		return string(p), true
	}
	c, b := raw[0], raw[1:]
	switch {
	case c <= 0x7f || c >= 0xe0: // positive and negative fixint
		return int8(c), len(b) == 0
	}
	switch c {
	case 0xc0:
		return nil, len(b) == 0
	case 0xc2, 0xc3:
		return c == 0xc3, len(b) == 0
	case 0xcc:
		return fixed(b, 1, func(b []byte) any { return b[0] })
	case 0xcd:
		return fixed(b, 2, func(b []byte) any { return binary.BigEndian.Uint16(b) })
	case 0xce:
		return fixed(b, 4, func(b []byte) any { return binary.BigEndian.Uint32(b) })
	case 0xcf:
		return fixed(b, 8, func(b []byte) any { return binary.BigEndian.Uint64(b) })
	case 0xd0:
		return fixed(b, 1, func(b []byte) any { return int8(b[0]) })
	case 0xd1:
		return fixed(b, 2, func(b []byte) any { return int16(binary.BigEndian.Uint16(b)) })
	case 0xd2:
		return fixed(b, 4, func(b []byte) any { return int32(binary.BigEndian.Uint32(b)) })
	case 0xd3:
		return fixed(b, 8, func(b []byte) any { return int64(binary.BigEndian.Uint64(b)) })
	case 0xca:
		return fixed(b, 4, func(b []byte) any { return math.Float32frombits(binary.BigEndian.Uint32(b)) })
	case 0xcb:
		return fixed(b, 8, func(b []byte) any { return math.Float64frombits(binary.BigEndian.Uint64(b)) })
	}
	return nil, false
}

func fixed(b []byte, n int, conv func([]byte) any) (any, bool) {
	if len(b) != n {
		return nil, false
	}
	return conv(b), true
}
