package wire

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The envelope of every message is written and read by hand with the
// functions below rather than by reflection: it is the hot path of dispatch,
// and reading it by hand lets every declared length be checked against the
// bytes that remain before anything is allocated (DESIGN: hostile input).

// MaxDepth bounds the nesting of a raw value (arguments, results). Deeper
// values are refused rather than walked.
const MaxDepth = 64

func appendNil(b []byte) []byte { return append(b, 0xc0) }

func appendUint(b []byte, v uint64) []byte {
	switch {
	case v <= 0x7f:
		return append(b, byte(v))
	case v <= math.MaxUint8:
		return append(b, 0xcc, byte(v))
	case v <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(v))
	case v <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(v))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xcf), v)
}

// AppendInt appends v in msgpack's most compact integer form, as the msgpack
// library writes it with compact integers: the same value always has the
// same bytes, whatever its Go type.
func AppendInt(b []byte, v int64) []byte {
	if v >= 0 {
		return appendUint(b, uint64(v))
	}
	switch {
	case v >= -32:
		return append(b, byte(v))
	case v >= math.MinInt8:
		return append(b, 0xd0, byte(v))
	case v >= math.MinInt16:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(v))
	case v >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(v))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(v))
}

// AppendString appends s as a msgpack string in its most compact form.
func AppendString(b []byte, s string) []byte {
	if n := len(s); n <= 31 {
		b = append(b, 0xa0|byte(n))
	} else {
		b = appendLen(b, n, 0xd9, 0xda, 0xdb)
	}
	return append(b, s...)
}

// AppendBinary appends p as a msgpack binary in its most compact form.
func AppendBinary(b, p []byte) []byte {
	return append(appendLen(b, len(p), 0xc4, 0xc5, 0xc6), p...)
}

// appendLen appends the header of a string or binary of n bytes: code c8,
// c16 or c32 and the length in 1, 2 or 4 bytes.
func appendLen(b []byte, n int, c8, c16, c32 byte) []byte {
	switch {
	case n <= math.MaxUint8:
		return append(b, c8, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, c16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, c32), uint32(n))
}

func appendArrayLen(b []byte, n int) []byte {
	switch {
	case n <= 15:
		return append(b, 0x90|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, 0xdc), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xdd), uint32(n))
}

// appendRaw appends an already encoded msgpack value, or nil when raw is empty.
func appendRaw(b, raw []byte) []byte {
	if len(raw) == 0 {
		return appendNil(b)
	}
	return append(b, raw...)
}

// decoder reads msgpack from a byte slice. Every method checks the bytes it
// needs against what remains, and every count it returns is at most the
// number of bytes that remain, so callers may size allocations by it.
type decoder struct {
	b []byte
	i int
}

func (d *decoder) fail(what string) error {
	return fmt.Errorf("%w: %s at byte %d of %d", ErrMalformed, what, d.i, len(d.b))
}

func (d *decoder) left() int { return len(d.b) - d.i }

func (d *decoder) next(n int) ([]byte, error) {
	if n < 0 || n > d.left() {
		return nil, d.fail(fmt.Sprintf("%d bytes declared, %d left", n, d.left()))
	}
	p := d.b[d.i : d.i+n]
	d.i += n
	return p, nil
}

func (d *decoder) byte1() (byte, error) {
	if d.i >= len(d.b) {
		return 0, d.fail("unexpected end")
	}
	c := d.b[d.i]
	d.i++
	return c, nil
}

// sized reads a big-endian length or integer of n bytes (1, 2, 4 or 8).
func (d *decoder) sized(n int) (uint64, error) {
	p, err := d.next(n)
	if err != nil {
		return 0, err
	}
	switch n {
	case 1:
		return uint64(p[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(p)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(p)), nil
	}
	return binary.BigEndian.Uint64(p), nil
}

// arrayLen reads an array header. Each element takes at least one byte, so a
// count larger than what remains is malformed and refused here.
func (d *decoder) arrayLen() (int, error) {
	c, err := d.byte1()
	if err != nil {
		return 0, err
	}
	var n uint64
	switch {
	case c&0xf0 == 0x90:
		n = uint64(c & 0x0f)
	case c == 0xdc:
		n, err = d.sized(2)
	case c == 0xdd:
		n, err = d.sized(4)
	default:
		d.i--
		return 0, d.fail(fmt.Sprintf("want array, found 0x%02x", c))
	}
	if err != nil {
		return 0, err
	}
	if n > uint64(d.left()) {
		return 0, d.fail(fmt.Sprintf("array of %d elements, %d bytes left", n, d.left()))
	}
	return int(n), nil
}

func (d *decoder) isNil() bool {
	if d.i < len(d.b) && d.b[d.i] == 0xc0 {
		d.i++
		return true
	}
	return false
}

// uint reads a non-negative integer of any msgpack integer encoding.
func (d *decoder) uint() (uint64, error) {
	c, err := d.byte1()
	if err != nil {
		return 0, err
	}
	switch {
	case c <= 0x7f:
		return uint64(c), nil
	case c >= 0xcc && c <= 0xcf:
		return d.sized(1 << (c - 0xcc))
	case c >= 0xd0 && c <= 0xd3:
		v, err := d.sized(1 << (c - 0xd0))
		if err != nil {
			return 0, err
		}
		if s := signExtend(v, c-0xd0); s < 0 {
			return 0, d.fail("negative integer where unsigned expected")
		}
		return v, nil
	}
	d.i--
	return 0, d.fail(fmt.Sprintf("want integer, found 0x%02x", c))
}

func signExtend(v uint64, size byte) int64 {
	switch size {
	case 0:
		return int64(int8(v))
	case 1:
		return int64(int16(v))
	case 2:
		return int64(int32(v))
	}
	return int64(v)
}

// int reads a signed integer of any msgpack integer encoding.
func (d *decoder) int() (int64, error) {
	if d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c >= 0xe0:
			d.i++
			return int64(int8(c)), nil
		case c >= 0xd0 && c <= 0xd3:
			d.i++
			v, err := d.sized(1 << (c - 0xd0))
			return signExtend(v, c-0xd0), err
		}
	}
	v, err := d.uint()
	if err != nil {
		return 0, err
	}
	if v > math.MaxInt64 {
		return 0, d.fail("integer overflows int64")
	}
	return int64(v), nil
}

// strBytes reads a str or bin value and returns its bytes, aliasing d.b.
func (d *decoder) strBytes() ([]byte, error) {
	c, err := d.byte1()
	if err != nil {
		return nil, err
	}
	var n uint64
	switch {
	case c&0xe0 == 0xa0:
		n = uint64(c & 0x1f)
	case c == 0xd9 || c == 0xc4:
		n, err = d.sized(1)
	case c == 0xda || c == 0xc5:
		n, err = d.sized(2)
	case c == 0xdb || c == 0xc6:
		n, err = d.sized(4)
	default:
		d.i--
		return nil, d.fail(fmt.Sprintf("want string, found 0x%02x", c))
	}
	if err != nil {
		return nil, err
	}
	if n > uint64(d.left()) {
		return nil, d.fail(fmt.Sprintf("string of %d bytes, %d left", n, d.left()))
	}
	return d.next(int(n))
}

func (d *decoder) str() (string, error) {
	p, err := d.strBytes()
	return string(p), err
}

// raw skips one complete value and returns its encoding, aliasing d.b. It
// walks nested arrays and maps to MaxDepth and checks every declared length,
// so a value it accepts can be handed to a reflective decoder safely: no
// container in it declares more elements than it has bytes. A scalar, or an
// array of a few scalars (most values and most calls' arguments), it
// measures from its leading bytes instead (plainLen; FuzzPlain checks both
// ways agree).
func (d *decoder) raw() ([]byte, error) {
	start := d.i
	if n := plainLen(d.b[start:]); n > 0 {
		d.i += n
		return d.b[start:d.i], nil
	}
	if err := d.skip(0); err != nil {
		return nil, err
	}
	return d.b[start:d.i], nil
}

func (d *decoder) skip(depth int) error {
	if depth > MaxDepth {
		return d.fail(fmt.Sprintf("nesting deeper than %d", MaxDepth))
	}
	c, err := d.byte1()
	if err != nil {
		return err
	}
	payload, elems, err := d.shape(c)
	if err != nil {
		return err
	}
	if payload > uint64(d.left()) || elems > uint64(d.left()) {
		return d.fail(fmt.Sprintf("value declares %d bytes/%d elements, %d bytes left", payload, elems, d.left()))
	}
	d.i += int(payload)
	for k := uint64(0); k < elems; k++ {
		if err := d.skip(depth + 1); err != nil {
			return err
		}
	}
	return nil
}

// shape tells, for a value starting with byte c (already consumed), how many
// payload bytes follow its header and how many nested values it contains.
func (d *decoder) shape(c byte) (payload, elems uint64, err error) {
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
		return 0, 0, nil
	case c&0xf0 == 0x80:
		return 0, 2 * uint64(c&0x0f), nil
	case c&0xf0 == 0x90:
		return 0, uint64(c & 0x0f), nil
	case c&0xe0 == 0xa0:
		return uint64(c & 0x1f), 0, nil
	}
	switch c {
	case 0xc4, 0xd9:
		payload, err = d.sized(1)
	case 0xc5, 0xda:
		payload, err = d.sized(2)
	case 0xc6, 0xdb:
		payload, err = d.sized(4)
	case 0xc7, 0xc8, 0xc9: // ext 8/16/32: length, then one type byte
		payload, err = d.sized(1 << (c - 0xc7))
		payload++
	case 0xcc, 0xd0:
		payload = 1
	case 0xcd, 0xd1:
		payload = 2
	case 0xca, 0xce, 0xd2:
		payload = 4
	case 0xcb, 0xcf, 0xd3:
		payload = 8
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1..16, plus the type byte
		payload = 1 + 1<<(c-0xd4)
	case 0xdc:
		elems, err = d.sized(2)
	case 0xdd:
		elems, err = d.sized(4)
	case 0xde:
		elems, err = d.sized(2)
		elems *= 2
	case 0xdf:
		elems, err = d.sized(4)
		elems *= 2
	default: // 0xc1 is never used
		d.i--
		return 0, 0, d.fail(fmt.Sprintf("invalid type byte 0x%02x", c))
	}
	return payload, elems, err
}
