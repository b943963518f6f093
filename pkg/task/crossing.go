package task

import (
	"encoding"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

// The check below refuses, at registration, the types whose values would
// not come back from msgpack as they left: thread mode passes values as
// they are, so such a type would behave differently in a worker process.
// It follows msgpack/v5's own rules (getFields, _getEncoder, _getDecoder):
// a type with its own codec is taken as it is; a struct travels as its
// exported fields and its embedded ones, minus those tagged msgpack:"-".

// A crossingError says which part of a type cannot cross and what to do.
type crossingError struct {
	path    string // Point.secret, [i].Fn, Index[k], Set{key}; "" for the type itself
	inField bool   // the path ends at a struct field
	what    string // "is a func, which …"
}

func (e *crossingError) Error() string {
	switch {
	case e.path == "":
		return "it " + e.what
	case e.inField:
		return "field " + e.path + " " + e.what
	}
	return e.path + " " + e.what
}

var (
	encoderIfaces = []reflect.Type{
		reflect.TypeFor[msgpack.CustomEncoder](), reflect.TypeFor[msgpack.Marshaler](),
		reflect.TypeFor[encoding.BinaryMarshaler](), reflect.TypeFor[encoding.TextMarshaler](),
	}
	decoderIfaces = []reflect.Type{
		reflect.TypeFor[msgpack.CustomDecoder](), reflect.TypeFor[msgpack.Unmarshaler](),
		reflect.TypeFor[encoding.BinaryUnmarshaler](), reflect.TypeFor[encoding.TextUnmarshaler](),
	}
	errorType = reflect.TypeFor[error]()
)

// checkCrossing returns why values of t would change on their way through
// msgpack, or nil. addressable tells whether msgpack can take the address
// of such a value (not for map keys and values, nor for what an interface
// holds), which an encoder with a pointer receiver needs.
func checkCrossing(t reflect.Type, addressable bool) error {
	if v, ok := checked.Load(visit{t, addressable}); ok {
		err, _ := v.(error)
		return err
	}
	c := crossing{seen: make(map[visit]bool)}
	root := t
	for root.Kind() == reflect.Pointer {
		root = root.Elem()
	}
	c.root = root.Name()
	err := c.check(t, "", false, addressable)
	checked.Store(visit{t, addressable}, err)
	return err
}

// checked holds checkCrossing's answers, for Bind, which checks what an
// interface-typed argument holds each time.
var checked sync.Map // visit → error

type visit struct {
	t    reflect.Type
	addr bool
}

type crossing struct {
	root string         // the name of the type checked, which paths start with
	seen map[visit]bool // types checked or being checked: recursive types end here
}

// sub returns the path to a part of what path leads to: step is ".Name",
// "[i]", "[k]" or "{key}".
func (c *crossing) sub(path, step string) string {
	if path == "" {
		path = c.root
	}
	if path == "" {
		return strings.TrimPrefix(step, ".")
	}
	return path + step
}

// check returns why values of t, found at path, would not cross unchanged.
func (c *crossing) check(t reflect.Type, path string, inField, addr bool) error {
	if c.seen[visit{t, addr}] {
		return nil
	}
	c.seen[visit{t, addr}] = true
	if why, whole := refusal(t, addr); why != "" || whole {
		if why == "" {
			return nil
		}
		if inField {
			why += `, or tag the field msgpack:"-"`
		}
		return &crossingError{path: path, inField: inField, what: why}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return c.check(t.Elem(), path, inField, true)
	case reflect.Slice, reflect.Array:
		return c.check(t.Elem(), c.sub(path, "[i]"), false, true)
	case reflect.Map:
		if err := c.check(t.Key(), c.sub(path, "{key}"), false, false); err != nil {
			return err
		}
		return c.check(t.Elem(), c.sub(path, "[k]"), false, false)
	case reflect.Struct:
		return c.fields(t, path, addr)
	}
	return nil
}

// refusal says why values of t cannot cross, whatever they hold; or, with
// whole true, that they cross as they are, with nothing inside to check.
func refusal(t reflect.Type, addr bool) (why string, whole bool) {
	if t.Kind() == reflect.Interface {
		// msgpack decodes into an interface what it decodes into any (int8,
		// string, map[string]any…), which implements no method; error is
		// the exception: a string comes back as errors.New(string).
		if t.NumMethod() == 0 || t == errorType {
			return "", true
		}
		return fmt.Sprintf("is an interface (%v), which a worker process cannot decode into; use a concrete type", t), true
	}
	if enc, dec, viaPtr := ownCodec(t); enc || dec {
		switch {
		case !enc:
			return fmt.Sprintf("has a msgpack decoder but no encoder (%v); give it both", t), true
		case !dec:
			return fmt.Sprintf("has a msgpack encoder but no decoder (%v); give it both", t), true
		case viaPtr && !addr:
			return fmt.Sprintf("encodes with a pointer method (*%v), which msgpack cannot call on a map key, a map value or what an interface holds; store *%[1]v, or give it a value receiver", t), true
		}
		return "", true
	}
	switch t.Kind() {
	case reflect.Func:
		return "is a func, which cannot cross a process boundary: functions travel by name (register it)", true
	case reflect.Chan:
		return "is a channel, which cannot cross a process boundary; send what it carries", true
	case reflect.UnsafePointer:
		return "is an unsafe.Pointer, an address that means nothing in another process", true
	case reflect.Uintptr:
		return "is a uintptr, which msgpack cannot encode; use uint64", true
	case reflect.Complex64, reflect.Complex128:
		return "is a complex number, which msgpack cannot encode; use two floats", true
	}
	return "", false
}

// fields checks the fields of struct t that msgpack encodes.
func (c *crossing) fields(t reflect.Type, path string, addr bool) error {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("msgpack"), ",")
		if strings.TrimSpace(name) == "-" || f.Name == "_" {
			continue
		}
		p := c.sub(path, "."+f.Name)
		switch {
		case f.IsExported():
		case !f.Anonymous && f.Type.Size() == 0:
			continue // holds nothing, as _msgpack struct{} `msgpack:",as_array"`
		case !f.Anonymous:
			return &crossingError{path: p, inField: true, what: fmt.Sprintf(
				`(unexported) would arrive as zero in a worker process; export it, tag it msgpack:"-", or give %v a msgpack encoder`, t)}
		case f.Type.Kind() != reflect.Struct:
			// msgpack encodes it, but decoding it would panic: reflection
			// cannot set a value reached through an unexported field.
			return &crossingError{path: p, inField: true, what: fmt.Sprintf(
				`(embedded %v, unexported) cannot be set by a worker process; embed an exported type or a struct value, or tag it msgpack:"-"`, f.Type)}
		}
		if err := c.check(f.Type, p, true, addr); err != nil {
			return err
		}
	}
	return nil
}

// ownCodec tells whether msgpack encodes (enc) and decodes (dec) t with t's
// own methods, and whether the encoder needs a *t (viaPtr).
func ownCodec(t reflect.Type) (enc, dec, viaPtr bool) {
	encVal := implementsAny(t, encoderIfaces)
	dec = implementsAny(t, decoderIfaces)
	if t.Kind() != reflect.Pointer {
		pt := reflect.PointerTo(t)
		viaPtr = !encVal && implementsAny(pt, encoderIfaces)
		dec = dec || implementsAny(pt, decoderIfaces)
	}
	return encVal || viaPtr, dec, viaPtr
}

func implementsAny(t reflect.Type, ifaces []reflect.Type) bool {
	for _, i := range ifaces {
		if t.Implements(i) {
			return true
		}
	}
	return false
}

// checkHeld checks what an interface-typed argument holds, which
// registration could not see; v is nil or holds a concrete type. Such a
// value is not addressable once in an interface.
func checkHeld[T any](v T) error {
	if reflect.TypeFor[T]().Kind() != reflect.Interface || any(v) == nil {
		return nil
	}
	return checkCrossing(reflect.TypeOf(v), false)
}

// mustCross panics, naming fn and role, if values of T cannot cross a
// process boundary unchanged; registration happens at initialisation, where
// a panic stops the program before anything runs.
func mustCross[T any](fn, role string) {
	t := reflect.TypeFor[T]()
	if err := checkCrossing(t, true); err != nil {
		panic(fmt.Sprintf("task: %s: %s type %v: %v", fn, role, t, err))
	}
}
