package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/kaptinlin/jsonschema"
)

// MaxSize is the largest report Read accepts, in bytes: a grader handed a
// huge or endless file fails with ErrNotJSON instead of exhausting memory.
const MaxSize = 1 << 30

// Errors of Read and Decode. Both are wrapped with what was wrong and where.
var (
	// ErrNotJSON marks input that is not one JSON document: empty,
	// truncated, not JSON at all, followed by other data, or over MaxSize.
	ErrNotJSON = errors.New("report: not a JSON document")
	// ErrInvalid marks a JSON document that is not a valid brine.report/v1
	// report: another schema version, a missing field, a value of the
	// wrong type or out of range (see docs/report.schema.json).
	ErrInvalid = errors.New("report: not a valid " + Schema + " report")
)

// schemaJSON is docs/report.schema.json; TestSchemaCopy keeps the two equal.
//
//go:embed report.schema.json
var schemaJSON []byte

// SchemaJSON returns the JSON Schema (2020-12) of the report format, the
// same as docs/report.schema.json.
func SchemaJSON() []byte { return bytes.Clone(schemaJSON) }

// compiled is the report schema, compiled on the first Validate so that
// commands which never validate do not pay for it. The library's package
// init is cheap, under a millisecond (bench/RESULTS.md, "Design
// measurements": JSON schema library's init).
var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.SetAssertFormat(true) // "started" is a date-time
	// Every $ref of the schema points within it: fetch nothing.
	for _, scheme := range []string{"http", "https"} {
		c.RegisterLoader(scheme, func(url string) (io.ReadCloser, error) {
			return nil, fmt.Errorf("report: the schema refers to %s, outside itself", url)
		})
	}
	return c.Compile(schemaJSON)
})

// validating serializes validations: the library compiles a "pattern" on
// its first use and stores it in the schema without a lock.
var validating sync.Mutex

// Read reads one report of at most MaxSize bytes from r and decodes it as
// Decode does.
func Read(r io.Reader) (*Report, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrNotJSON, MaxSize)
	}
	return Decode(data)
}

// Decode parses data as a JSON document, validates it against the report
// schema and decodes it. Numbers in outputs stay json.Number, so that
// Digest sees them as written. On failure it returns an error wrapping
// ErrNotJSON or ErrInvalid that says where the problem is.
func Decode(data []byte) (*Report, error) {
	doc, err := ParseJSON(data)
	if err != nil {
		return nil, err
	}
	if err := Validate(doc); err != nil {
		return nil, err
	}
	return decodeValid(data)
}

// decodeValid decodes a report that Validate accepted.
func decodeValid(data []byte) (*Report, error) {
	var r Report
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		// The schema bounds every integer to int64, so this is a number
		// out of a float64's range, like 1e999.
		return nil, fmt.Errorf("%w: %s", ErrInvalid, describeJSONError(err, data))
	}
	return &r, nil
}

// ParseJSON parses data as exactly one JSON document into the generic
// model (map[string]any, []any, json.Number, string, bool, nil). On
// failure it returns an error wrapping ErrNotJSON with the line and column.
func ParseJSON(data []byte) (any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: the input is empty", ErrNotJSON)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNotJSON, describeJSONError(err, data))
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		rest := data[end:]
		line, col := position(data, end+int64(len(rest)-len(bytes.TrimLeft(rest, " \t\r\n"))))
		return nil, fmt.Errorf("%w: more data after the document, at line %d, column %d", ErrNotJSON, line, col)
	}
	return doc, nil
}

// Validate checks a document from ParseJSON against the report schema. It
// checks the schema version first, so that a report of another version is
// named as such rather than listed as a set of differences.
func Validate(doc any) error {
	obj, ok := doc.(map[string]any)
	if !ok {
		return fmt.Errorf("%w: the document is %s, not an object", ErrInvalid, jsonKind(doc))
	}
	switch v := obj["schema"].(type) {
	case nil:
		return fmt.Errorf("%w: it has no \"schema\" field", ErrInvalid)
	case string:
		if v != Schema {
			return fmt.Errorf("%w: its schema is %q, and this brine reads %s", ErrInvalid, v, Schema)
		}
	default:
		return fmt.Errorf("%w: \"schema\" is %s, not a string", ErrInvalid, jsonKind(v))
	}
	sch, err := compiled()
	if err != nil {
		return fmt.Errorf("report: the embedded schema does not compile: %w", err)
	}
	validating.Lock()
	res := sch.Validate(obj)
	validating.Unlock()
	if !res.IsValid() {
		return fmt.Errorf("%w: %s", ErrInvalid, describeViolations(res, obj))
	}
	return checkKeys(doc, "")
}

func describeJSONError(err error, data []byte) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset-1) // Offset counts the bad byte
		return fmt.Sprintf("line %d, column %d: %v", line, col, syn)
	case errors.As(err, &typ):
		line, col := position(data, typ.Offset)
		return fmt.Sprintf("line %d, column %d: field %q: %s does not fit a Go %s", line, col, typ.Field, typ.Value, typ.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, _ := position(data, int64(len(data)))
		return fmt.Sprintf("it ends in the middle of a value, at line %d: truncated?", line)
	}
	return err.Error()
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
