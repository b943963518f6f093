package wire

// SplitArray returns the encodings of the elements of the msgpack array raw,
// appended to dst and aliasing raw. Every element is checked as Decode*
// checks a body (lengths within bounds, nesting at most MaxDepth), so each
// can be handed to a reflective decoder. An empty raw is an empty array.
func SplitArray(raw []byte, dst [][]byte) ([][]byte, error) {
	if len(raw) == 0 {
		return dst, nil
	}
	d := decoder{b: raw}
	n, err := d.arrayLen()
	if err != nil {
		return dst, err
	}
	for range n {
		v, err := d.raw()
		if err != nil {
			return dst, err
		}
		dst = append(dst, v)
	}
	if d.left() != 0 {
		return dst, d.fail("bytes after the array")
	}
	return dst, nil
}

// CheckValue reports whether raw holds exactly one well-formed msgpack value
// within the limits of this package.
func CheckValue(raw []byte) error {
	d := decoder{b: raw}
	if _, err := d.raw(); err != nil {
		return err
	}
	if d.left() != 0 {
		return d.fail("bytes after the value")
	}
	return nil
}
