package report_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/joshdk/go-junit"

	"github.com/brinehq/brine/pkg/report"
)

// gradings are a grading with failures and a malformed one, for the CI
// format tests.
func gradings(t *testing.T) map[string]*report.Grading {
	failed := edit(t, base(t, "fault"), func(doc map[string]any) { result(doc, 1)["output"] = 7 })
	return map[string]*report.Grading{
		"failed":    report.Grade("fault.json", failed, nil),
		"malformed": report.Grade("odd ]]> <name> & \x01.json", nil, nil),
		"passed":    report.Grade("hash.json", base(t, "hash"), nil),
	}
}

// TestJUnit reads the JUnit file with github.com/joshdk/go-junit, the JUnit
// reader of several CI tools, after checking that it is well-formed XML.
func TestJUnit(t *testing.T) {
	for name, g := range gradings(t) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := g.WriteJUnit(&buf); err != nil {
				t.Fatal(err)
			}
			wellFormed(t, buf.Bytes())
			suites, err := junit.Ingest(buf.Bytes())
			if err != nil {
				t.Fatalf("go-junit: %v\n%s", err, buf.String())
			}
			if len(suites) != 1 {
				t.Fatalf("%d suites, want 1", len(suites))
			}
			s := suites[0]
			// XML cannot hold U+0001: the writer puts U+FFFD in its place.
			safe := func(s string) string { return strings.ReplaceAll(s, "\x01", "\uFFFD") }
			if s.Name != safe("brine grade "+g.Report) || s.Properties["report"] != safe(g.Report) || s.Properties["schema"] != report.Schema {
				t.Errorf("suite %q, properties %v", s.Name, s.Properties)
			}
			if g.Parsed != nil && s.Properties["digest"] != g.Parsed.Digest {
				t.Errorf("properties %v lack the digest", s.Properties)
			}
			if len(s.Tests) != len(g.Checks) || s.Totals.Tests != len(g.Checks) {
				t.Fatalf("%d tests (totals %d), want one per check: %d", len(s.Tests), s.Totals.Tests, len(g.Checks))
			}
			failed := 0
			for i, c := range g.Checks {
				tc := s.Tests[i]
				want := junit.StatusPassed
				if !c.Pass {
					want = junit.StatusFailed
					failed++
				}
				if tc.Name != c.Name || tc.Classname != "brine.grade" || tc.Status != want {
					t.Errorf("test %d: %s %s %s, want %s brine.grade %s", i, tc.Name, tc.Classname, tc.Status, c.Name, want)
				}
				if !c.Pass && (tc.Message != safe(c.Detail) || tc.Error == nil || !strings.Contains(tc.Error.Error(), safe(c.Detail))) {
					t.Errorf("test %s: message %q, error %v; want the detail %q", tc.Name, tc.Message, tc.Error, c.Detail)
				}
			}
			if s.Totals.Failed != failed || s.Totals.Passed != len(g.Checks)-failed {
				t.Errorf("totals %+v, want %d failed", s.Totals, failed)
			}
			if !strings.Contains(s.SystemOut, safe(g.Checks[0].String())) {
				t.Errorf("system-out %q lacks the printed lines", s.SystemOut)
			}
		})
	}
}

// wellFormed parses data strictly and checks the attributes every JUnit
// schema in use (Ant's, Jenkins's) requires.
func wellFormed(t *testing.T, data []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	required := map[string][]string{
		"testsuite": {"name", "tests", "failures", "errors", "time", "timestamp", "hostname"},
		"testcase":  {"name", "classname", "time"},
		"failure":   {"message", "type"},
		"property":  {"name", "value"},
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, data)
		}
		if el, ok := tok.(xml.StartElement); ok {
			for _, attr := range required[el.Name.Local] {
				if !slices.ContainsFunc(el.Attr, func(a xml.Attr) bool { return a.Name.Local == attr }) {
					t.Errorf("<%s> has no %s attribute", el.Name.Local, attr)
				}
			}
		}
	}
}

// gradescopeResults is results.json as Gradescope documents it, every field
// there and no other; pointers tell a missing field from a zero one.
type gradescopeResults struct {
	Score            *float64         `json:"score"`
	ExecutionTime    *int             `json:"execution_time"`
	Output           *string          `json:"output"`
	OutputFormat     string           `json:"output_format"`
	TestOutputFormat string           `json:"test_output_format"`
	TestNameFormat   string           `json:"test_name_format"`
	Visibility       *string          `json:"visibility"`
	StdoutVisibility string           `json:"stdout_visibility"`
	ExtraData        map[string]any   `json:"extra_data"`
	Tests            []gradescopeTest `json:"tests"`
	Leaderboard      []any            `json:"leaderboard"`
}

type gradescopeTest struct {
	Score        *float64       `json:"score"`
	MaxScore     *float64       `json:"max_score"`
	Status       *string        `json:"status"`
	Name         *string        `json:"name"`
	NameFormat   string         `json:"name_format"`
	Number       string         `json:"number"`
	Output       *string        `json:"output"`
	OutputFormat string         `json:"output_format"`
	Tags         []string       `json:"tags"`
	Visibility   string         `json:"visibility"`
	ExtraData    map[string]any `json:"extra_data"`
}

func TestGradescope(t *testing.T) {
	visibilities := []string{"hidden", "after_due_date", "after_published", "visible"}
	for name, g := range gradings(t) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := g.WriteGradescope(&buf); err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(&buf)
			dec.DisallowUnknownFields()
			var res gradescopeResults
			if err := dec.Decode(&res); err != nil {
				t.Fatalf("not Gradescope's format: %v", err)
			}
			if res.Score == nil || res.ExecutionTime == nil || *res.ExecutionTime < 0 || res.Output == nil ||
				res.Visibility == nil || !slices.Contains(visibilities, *res.Visibility) || len(res.Tests) != len(g.Checks) {
				t.Fatalf("top level incomplete: %+v", res)
			}
			var sum float64
			for i, tc := range res.Tests {
				c := g.Checks[i]
				if tc.Name == nil || tc.Score == nil || tc.MaxScore == nil || tc.Status == nil || tc.Output == nil {
					t.Fatalf("test %d incomplete: %+v", i, tc)
				}
				want, score := "failed", 0.0
				if c.Pass {
					want, score = "passed", 1
				}
				if *tc.Name != c.Name || *tc.Status != want || *tc.Score != score || *tc.MaxScore != 1 || *tc.Output != c.String() {
					t.Errorf("test %d: %s %s %v/%v %q, want %s", i, *tc.Name, *tc.Status, *tc.Score, *tc.MaxScore, *tc.Output, c)
				}
				sum += *tc.Score
			}
			if *res.Score != sum {
				t.Errorf("score %v, the tests add up to %v", *res.Score, sum)
			}
		})
	}
}
