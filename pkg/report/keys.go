package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Go's encoding/json matches object keys to struct fields regardless of
// case, so {"tasks": 10, "Tasks": 3} would pass the schema, which ignores
// the unknown "Tasks", and decode as 3 tasks. checkKeys refuses a key that
// differs from a property name of the schema only in case, so that the
// grader reads what every other reader of the schema reads.

// schemaNames maps the folded form of every property name in the schema to
// the name.
var schemaNames = sync.OnceValue(func() map[string]string {
	var schema any
	if err := json.Unmarshal(schemaJSON, &schema); err != nil {
		panic(err) // TestSchemaCopy compiles it
	}
	names := map[string]string{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if props, ok := v["properties"].(map[string]any); ok {
				for name := range props {
					names[fold(name)] = name
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(schema)
	return names
})

// fold is the form under which encoding/json matches a key to a field
// name: lower case, with the Kelvin sign and the long s that fold to k and s.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case 'K': // Kelvin sign
			return 'k'
		case 'ſ':
			return 's'
		}
		return r
	}, strings.ToLower(s))
}

// checkKeys walks a document from ParseJSON, except the tasks' outputs,
// which are theirs.
func checkKeys(v any, path string) error {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range v {
				if !yield(k) {
					return
				}
			}
		}) {
			if name, ok := schemaNames()[fold(k)]; ok && name != k {
				return fmt.Errorf("%w: at '%s': property %q: names are case-sensitive, and this one is %q",
					ErrInvalid, path, k, name)
			}
			if k == "output" {
				continue
			}
			if err := checkKeys(v[k], path+"/"+k); err != nil {
				return err
			}
		}
	case []any:
		for i, x := range v {
			if err := checkKeys(x, fmt.Sprintf("%s/%d", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}
