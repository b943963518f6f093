package report_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/brinehq/brine/pkg/report"
)

// TestValidateSchemaKeywords checks, one keyword of the schema at a time,
// that Validate enforces it on a document from ParseJSON (json.Number
// numbers) and says exactly where and what is wrong, and no more: not the
// "if" that selected "else", nor a missing property's value as null.
func TestValidateSchemaKeywords(t *testing.T) {
	good, fault := base(t, "hash"), base(t, "fault")
	n := func(s string) json.Number { return json.Number(s) }
	tests := []struct {
		name string
		data []byte
		want string // "" for valid; ending in "...", what the message starts with
	}{
		{"the largest count", edit(t, good, func(d map[string]any) { d["tasks"] = n("9223372036854775807") }), ""},
		{"a count past int64", edit(t, good, func(d map[string]any) { d["tasks"] = n("9223372036854775808") }),
			"at '/tasks': 9223372036854775808 is above the maximum, 9223372036854775807"},
		{"the least int64", edit(t, good, func(d map[string]any) { d["seed"] = n("-9223372036854775808") }), ""},
		{"below int64", edit(t, good, func(d map[string]any) { d["seed"] = n("-9223372036854775809") }),
			"at '/seed': -9223372036854775809 is below the minimum, -9223372036854775808"},
		{"an integer written as a fraction", edit(t, good, func(d map[string]any) { d["seed"] = n("3.0") }), ""},
		{"workers past int64, bounded in place", edit(t, good, func(d map[string]any) { d["workers"] = n("9223372036854775808") }),
			"at '/workers': 9223372036854775808 is above the maximum, 9223372036854775807"},
		{"no workers", edit(t, good, func(d map[string]any) { d["workers"] = n("0") }),
			"at '/workers': 0 is below the minimum, 1"},
		{"a number past math/big", edit(t, good, func(d map[string]any) { d["tasks"] = n("1e9999999") }),
			"at '/tasks': got number, want integer"},
		{"an empty job", edit(t, good, func(d map[string]any) { d["job"] = "" }),
			"at '/job': minLength: ..."},
		{"deep in arrays", edit(t, good, func(d map[string]any) {
			run0(d)["workers"].([]any)[1].(map[string]any)["tasks"] = n("-1")
		}), "at '/runs/0/workers/1/tasks': -1 is below the minimum, 0"},
		{"a range of one id", edit(t, good, func(d map[string]any) {
			d["cancelled"] = map[string]any{"tasks": n("1"), "ranges": []any{[]any{n("1")}}}
		}), "at '/cancelled/ranges/0': minItems: ..."},
		{"a missing required property", edit(t, good, func(d map[string]any) { delete(result(d, 0), "task") }),
			"at '/results/0': missing property 'task'"},
		{"two missing", edit(t, good, func(d map[string]any) { delete(result(d, 0), "task"); delete(result(d, 0), "pid") }),
			"at '/results/0': missing properties 'task', 'pid'"},
		{"failed without an error (else)", edit(t, good, func(d map[string]any) { result(d, 1)["status"] = "panic" }),
			"at '/results/1': missing property 'error'"},
		{"ok with an error (then)", edit(t, fault, func(d map[string]any) { result(d, 0)["status"] = "ok" }),
			"at '/results/0': 'not' failed..."},
		{"a failure as it should be", fault, ""},
		{"an error without its kind", edit(t, fault, func(d map[string]any) { delete(result(d, 0)["error"].(map[string]any), "kind") }),
			"at '/results/0/error': missing property 'kind'"},
		{"many", edit(t, good, func(d map[string]any) {
			for i := range 3 {
				result(d, i)["attempts"] = n("-1")
				result(d, i)["pid"] = "x"
			}
		}), "at '/results/0/attempts': -1 is below the minimum, 0; at '/results/0/pid': got string, want integer; " +
			"at '/results/1/attempts': -1 is below the minimum, 0; at '/results/1/pid': got string, want integer; " +
			"at '/results/2/attempts': -1 is below the minimum, 0; and 1 more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := report.ParseJSON(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			err = report.Validate(doc)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, report.ErrInvalid) {
				t.Fatalf("Validate: %v, want ErrInvalid", err)
			}
			detail := strings.TrimPrefix(err.Error(), report.ErrInvalid.Error()+": ")
			if want, ok := strings.CutSuffix(tt.want, "..."); ok && !strings.HasPrefix(detail, want) || !ok && detail != want {
				t.Errorf("Validate:\n  %s\nwant\n  %s", detail, tt.want)
			}
		})
	}
}
