package task

import (
	"bytes"
	"encoding/binary"
	"math"

	"github.com/brinehq/brine/pkg/wire"
)

// The fast paths below encode and decode the most common argument and
// result types (byte slices, strings, integers, booleans) without the
// reflective codec and without boxing them: the bytes they read and write
// are exactly those of AppendValue and Unmarshal (TestAppendFastMatchesAppendValue,
// TestDecodeArgMatchesUnmarshal and FuzzDecodeArg check it),
// which remain the path for every other type and every other encoding.

// appendFast appends the encoding of *v if v points to a type with a fast
// path; ok is false otherwise. v does not escape.
func appendFast(b []byte, v any) (_ []byte, ok bool) {
	switch x := v.(type) {
	case *[]byte:
		if *x == nil {
			return append(b, 0xc0), true
		}
		return wire.AppendBinary(b, *x), true
	case *string:
		return wire.AppendString(b, *x), true
	case *int:
		return wire.AppendInt(b, int64(*x)), true
	case *int64:
		return wire.AppendInt(b, *x), true
	case *bool:
		if *x {
			return append(b, 0xc3), true
		}
		return append(b, 0xc2), true
	}
	return b, false
}

// decodeFast decodes raw into *v if v points to a type with a fast path
// and raw is exactly one value of the matching msgpack family; ok is false
// otherwise, *v untouched. v does not escape.
func decodeFast(raw []byte, v any) (ok bool) {
	switch x := v.(type) {
	case *[]byte:
		if len(raw) == 1 && raw[0] == 0xc0 {
			*x = nil
			return true
		}
		p, bin, ok := payload(raw)
		if ok && bin {
			*x = bytes.Clone(p)
		}
		return ok && bin
	case *string:
		p, bin, ok := payload(raw)
		if ok && !bin {
			*x = string(p)
		}
		return ok && !bin
	case *int:
		n, ok := decodeInt(raw)
		if ok {
			*x = int(n)
		}
		return ok
	case *int64:
		n, ok := decodeInt(raw)
		if ok {
			*x = n
		}
		return ok
	case *bool:
		if len(raw) != 1 || raw[0] != 0xc2 && raw[0] != 0xc3 {
			return false
		}
		*x = raw[0] == 0xc3
		return true
	}
	return false
}

// decodeInt decodes one msgpack integer that fits an int64.
func decodeInt(raw []byte) (int64, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	c, b := raw[0], raw[1:]
	switch {
	case c <= 0x7f || c >= 0xe0:
		return int64(int8(c)), len(b) == 0
	case c == 0xcc && len(b) == 1:
		return int64(b[0]), true
	case c == 0xcd && len(b) == 2:
		return int64(binary.BigEndian.Uint16(b)), true
	case c == 0xce && len(b) == 4:
		return int64(binary.BigEndian.Uint32(b)), true
	case c == 0xcf && len(b) == 8:
		u := binary.BigEndian.Uint64(b)
		return int64(u), u <= math.MaxInt64
	case c == 0xd0 && len(b) == 1:
		return int64(int8(b[0])), true
	case c == 0xd1 && len(b) == 2:
		return int64(int16(binary.BigEndian.Uint16(b))), true
	case c == 0xd2 && len(b) == 4:
		return int64(int32(binary.BigEndian.Uint32(b))), true
	case c == 0xd3 && len(b) == 8:
		return int64(binary.BigEndian.Uint64(b)), true
	}
	return 0, false
}

// decodeArg decodes raw as an A: by a fast path, or by Unmarshal.
func decodeArg[A any](raw []byte) (A, error) {
	var a A
	if decodeFast(raw, &a) {
		return a, nil
	}
	return decodeSlow[A](raw)
}

// decodeSlow is apart so that only its own A, not decodeArg's, escapes to
// the heap through Unmarshal's interface.
//
//go:noinline
func decodeSlow[A any](raw []byte) (A, error) {
	var a A
	err := Unmarshal(raw, &a)
	return a, err
}

// appendArg appends the encoding of v: by a fast path, or by AppendValue.
func appendArg[V any](b []byte, v V) ([]byte, error) {
	if out, ok := appendFast(b, &v); ok {
		return out, nil
	}
	return appendSlow(b, v)
}

//go:noinline
func appendSlow[V any](b []byte, v V) ([]byte, error) { return AppendValue(b, &v) }

// payload returns the content of raw if raw is exactly one msgpack string
// (bin false) or binary (bin true).
func payload(raw []byte) (p []byte, bin, ok bool) {
	if len(raw) == 0 {
		return nil, false, false
	}
	c, b := raw[0], raw[1:]
	var n, head int
	switch {
	case c >= 0xa0 && c <= 0xbf: // fixstr
		n = int(c & 0x1f)
	case (c == 0xc4 || c == 0xd9) && len(b) >= 1:
		n, head = int(b[0]), 1
	case (c == 0xc5 || c == 0xda) && len(b) >= 2:
		n, head = int(binary.BigEndian.Uint16(b)), 2
	case (c == 0xc6 || c == 0xdb) && len(b) >= 4:
		n, head = int(binary.BigEndian.Uint32(b)), 4
	default:
		return nil, false, false
	}
	if len(b)-head != n {
		return nil, false, false
	}
	return b[head:], c >= 0xc4 && c <= 0xc6, true
}
