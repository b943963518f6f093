package task

import (
	"bytes"
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
