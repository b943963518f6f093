package wire

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
		b = appendArrayLen(b, 3)
		b = AppendString(b, err.Kind)
		b = AppendString(b, err.Message)
		b = AppendString(b, err.Stack)
	} else {
		b = appendNil(b)
	}
	return appendUint(b, nanos)
}

// AppendTaskHead appends the start of a Tasks element: everything but the
// call's arguments, which the caller appends next as one encoded array, so
// that they are encoded straight into the frame.
func AppendTaskHead(b []byte, id uint64, fn string, bound []byte) []byte {
	b = appendUint(append(b, 0x94), id) // 0x94: an array of four elements
	b = AppendString(b, fn)
	return appendRaw(b, bound)
}
