package coordinator

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/vmihailenco/msgpack/v5"
)

func init() {
	demos["serialize"] = demoSerialize
}

// person is one entry of the lesson's pickling example.
type person struct {
	Key  string `msgpack:"key"`
	Name string `msgpack:"name"`
	Age  int    `msgpack:"age"`
	Pay  int    `msgpack:"pay"`
}

func (p person) String() string {
	return fmt.Sprintf("{'key': '%s', 'name': '%s', 'age': %d, 'pay': %d}", p.Key, p.Name, p.Age, p.Pay)
}

// entry keeps the dictionary's insertion order, as a Python dict does.
type entry struct {
	name string
	p    person
}

// demoSerialize round-trips the lesson's dictionary of two people through
// msgpack, as the lesson does through pickle, and shows the bytes between.
func demoSerialize(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("coordinator demo serialize", "coordinator demo serialize", stderr)
	if err := parse(fs, args, false); err != nil {
		return err
	}
	db := []entry{
		{"Omkar", person{Key: "Omkar", Name: "Omkar Pathak", Age: 21, Pay: 40000}},
		{"Jagdish", person{Key: "Jagdish", Name: "Jagdish Pathak", Age: 50, Pay: 50000}},
	}
	fmt.Fprintf(stdout, "Before:\n%s\n\n", formatDB(db))
	b, err := encodeDB(db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "msgpack: %d bytes\n%s\n", len(b), hexLines(b))
	after, err := decodeDB(b)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "After:\n%s\n", formatDB(after))
	return nil
}

func formatDB(db []entry) string {
	parts := make([]string, len(db))
	for i, e := range db {
		parts[i] = fmt.Sprintf("'%s': %s", e.name, e.p)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func encodeDB(db []entry) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	if err := enc.EncodeMapLen(len(db)); err != nil {
		return nil, err
	}
	for _, e := range db {
		if err := enc.EncodeString(e.name); err != nil {
			return nil, err
		}
		if err := enc.Encode(e.p); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

func decodeDB(b []byte) ([]entry, error) {
	dec := msgpack.NewDecoder(bytes.NewReader(b))
	n, err := dec.DecodeMapLen()
	if err != nil {
		return nil, err
	}
	if n < 0 || n > len(b) {
		return nil, fmt.Errorf("demo: map of %d entries in %d bytes", n, len(b))
	}
	db := make([]entry, n)
	for i := range db {
		if db[i].name, err = dec.DecodeString(); err != nil {
			return nil, err
		}
		if err := dec.Decode(&db[i].p); err != nil {
			return nil, err
		}
	}
	return db, nil
}

// hexLines formats b as a hex dump of 16 bytes a line.
func hexLines(b []byte) string {
	var sb strings.Builder
	for off := 0; off < len(b); off += 16 {
		line := b[off:min(off+16, len(b))]
		fmt.Fprintf(&sb, "%04x  %-47s  %s\n", off, spaced(line), printable(line))
	}
	return sb.String()
}

func spaced(b []byte) string {
	h := hex.EncodeToString(b)
	var parts []string
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, " ")
}

func printable(b []byte) string {
	out := []byte(string(b))
	for i, c := range out {
		if c < 0x20 || c > 0x7e {
			out[i] = '.'
		}
	}
	return string(out)
}
