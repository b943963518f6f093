package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kaptinlin/jsonschema"
)

// maxViolations is how many schema violations an error lists.
const maxViolations = 5

// describeViolations lists, sorted, what is wrong where in doc, the
// instance that res is the result of validating. The library's result is a
// tree of the subschemas it evaluated, in which
//   - each node's instance location is relative to its parent's;
//   - the failed subschemas of "if" (which selects "else") and of "not"
//     (which then holds) stay, though they are no violation;
//   - a missing required property is also evaluated as null against its
//     subschema, which the "required" violation already covers;
//   - a node that failed because of its children (properties, items, $ref,
//     then, else) says so as an error of its own.
//
// So the walk follows the instance along with the tree, skips those
// subtrees, and names a node's own errors only where no child explains them.
func describeViolations(res *jsonschema.EvaluationResult, doc any) string {
	var found []string
	var walk func(r *jsonschema.EvaluationResult, where string, v any)
	walk = func(r *jsonschema.EvaluationResult, where string, v any) {
		explained := false
		for _, d := range r.Details {
			if d.IsValid() || d.EvaluationPath == "/if" || d.EvaluationPath == "/not" {
				continue
			}
			explained = true
			dwhere, dv := where, v
			if d.InstanceLocation != "" {
				var ok bool
				if dwhere, dv, ok = child(where, v, d.InstanceLocation); !ok {
					continue // a missing property, evaluated as null
				}
			}
			walk(d, dwhere, dv)
		}
		for keyword, e := range r.Errors {
			if explained && applicators[keyword] {
				continue
			}
			found = append(found, fmt.Sprintf("at '%s': %s", where, describeViolation(keyword, e, v)))
		}
	}
	walk(res, "", doc)
	slices.Sort(found)
	found = slices.Compact(found)
	if n := len(found); n > maxViolations {
		found = append(found[:maxViolations], fmt.Sprintf("and %d more", n-maxViolations))
	}
	return strings.Join(found, "; ")
}

// applicators are the keywords whose failure a failed child result explains.
var applicators = map[string]bool{
	"$ref": true, "$dynamicRef": true, "properties": true, "patternProperties": true,
	"additionalProperties": true, "items": true, "prefixItems": true, "contains": true,
	"allOf": true, "anyOf": true, "oneOf": true, "then": true, "else": true,
	"dependentSchemas": true, "propertyNames": true, "unevaluatedItems": true,
	"unevaluatedProperties": true,
}

// child steps from v, at the JSON pointer where, to its member or element
// named by loc, one unescaped step such as "/tasks" or "/0". It returns
// false if v has no such member.
func child(where string, v any, loc string) (string, any, bool) {
	name := strings.TrimPrefix(loc, "/")
	switch v := v.(type) {
	case map[string]any:
		x, ok := v[name]
		return where + "/" + escapePointer(name), x, ok
	case []any:
		i, err := strconv.Atoi(name)
		if err != nil || i < 0 || i >= len(v) {
			return "", nil, false
		}
		return where + "/" + name, v[i], true
	}
	return "", nil, false
}

// escapePointer escapes a name for a JSON pointer (RFC 6901).
func escapePointer(name string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(name)
}

// describeViolation says what one violation of v is. Numbers are written
// out exactly, as the library gives them, except those too long to read.
func describeViolation(keyword string, e *jsonschema.EvaluationError, v any) string {
	p := func(name string) string { return fmt.Sprint(e.Params[name]) }
	switch e.Code {
	case "type_mismatch":
		got := p("received")
		if _, ok := v.(json.Number); ok && got == "unknown" {
			got = "number" // beyond what math/big parses, like 1e9999999
		}
		return fmt.Sprintf("got %s, want %s", got, p("expected"))
	case "missing_required_property":
		return "missing property " + p("property")
	case "missing_required_properties":
		return "missing properties " + p("properties")
	case "value_above_maximum":
		return fmt.Sprintf("%s is above the maximum, %s", number(p("value")), number(p("maximum")))
	case "value_below_minimum":
		return fmt.Sprintf("%s is below the minimum, %s", number(p("value")), number(p("minimum")))
	case "exclusive_minimum_mismatch":
		return fmt.Sprintf("%s is not above the exclusive minimum, %s", number(p("value")), number(p("exclusive_minimum")))
	case "exclusive_maximum_mismatch":
		return fmt.Sprintf("%s is not below the exclusive maximum, %s", number(p("value")), number(p("exclusive_maximum")))
	case "not_schema_mismatch":
		return "'not' failed: it matches the schema it must not"
	case "false_schema_mismatch":
		return "no value is allowed here"
	}
	return keyword + ": " + e.Error()
}

// number shortens a number of more than 40 characters, as 1e999 written
// out, to its count of digits.
func number(s string) string {
	if len(s) <= 40 {
		return s
	}
	return fmt.Sprintf("a %d-digit number", len(s)-strings.Count(s, "-")-strings.Count(s, "."))
}
