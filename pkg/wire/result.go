package wire

import "fmt"

// AppendResultHead and AppendResultTail let a worker encode a result around
// a value that the function's encoder appends in place, so the value is
// written once, straight into the frame: head, value, tail. On failure the
// worker truncates back to the end of the head and appends only the tail.

// AppendResultHead appends the start of a Results element for task id.
func AppendResultHead(b []byte, id uint64) []byte {
	return appendUint(append(b, 0x94), id) // 0x94: an array of four elements
}

// AppendResultTail appends the end of a Results element begun with
// AppendResultHead: after the value when err is nil; in place of the value
// (with a nil value) when it is not.
func AppendResultTail(b []byte, err *Error, nanos uint64) []byte {
	if err != nil {
		b = appendNil(b)
		b = appendError(b, err)
	} else {
		b = appendNil(b)
	}
	return appendUint(b, nanos)
}

// AppendLaneResult appends a successful Results element whose value was
// placed in the up lane at ref.
func AppendLaneResult(b []byte, id, nanos uint64, ref Ref) []byte {
	b = appendUint(append(b, 0x95), id) // 0x95: an array of five elements
	b = append(b, 0xc0, 0xc0)           // no value here, no error
	b = appendUint(b, nanos)
	return appendRef(b, ref)
}

// AppendLaneTask appends a Tasks element whose arguments were placed in the
// down lane at ref.
func AppendLaneTask(b []byte, id uint64, fn string, bound []byte, ref Ref) []byte {
	b = appendUint(append(b, 0x95), id) // 0x95: an array of five elements
	b = AppendString(b, fn)
	b = appendRaw(b, bound)
	b = appendNil(b) // the arguments are in the lane
	return appendRef(b, ref)
}

// appendRef appends ref as [pos, len].
func appendRef(b []byte, ref Ref) []byte {
	return appendUint(appendUint(append(b, 0x92), ref.Pos), ref.Len)
}

// ref reads the lane element of a task or result: [pos, len] with len > 0,
// or nil for none.
func (d *decoder) ref() (Ref, error) {
	if d.isNil() {
		return Ref{}, nil
	}
	n, err := d.arrayLen()
	if err != nil {
		return Ref{}, err
	}
	if n != 2 {
		return Ref{}, d.fail(fmt.Sprintf("lane reference of %d elements, want 2", n))
	}
	var r Ref
	if r.Pos, err = d.uint(); err != nil {
		return r, err
	}
	if r.Len, err = d.uint(); err != nil {
		return r, err
	}
	if r.Len == 0 {
		return r, d.fail("lane reference of 0 bytes")
	}
	return r, nil
}

// AppendTaskHead appends the start of a Tasks element: everything but the
// call's arguments, which the caller appends next as one encoded array, so
// that they are encoded straight into the frame.
func AppendTaskHead(b []byte, id uint64, fn string, bound []byte) []byte {
	b = appendUint(append(b, 0x94), id) // 0x94: an array of four elements
	b = AppendString(b, fn)
	return appendRaw(b, bound)
}
