package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
)

// Gradescope's autograder results.json, as its autograder specification
// documents it: a total score, and one test per check.
type gradescopeResults struct {
	Score         float64          `json:"score"`
	ExecutionTime int              `json:"execution_time"` // seconds
	Output        string           `json:"output"`
	Visibility    string           `json:"visibility"`
	Tests         []gradescopeTest `json:"tests"`
}

type gradescopeTest struct {
	Name     string  `json:"name"`
	Score    float64 `json:"score"`
	MaxScore float64 `json:"max_score"`
	Status   string  `json:"status"` // "passed" or "failed"
	Output   string  `json:"output"`
}

// WriteGradescope writes g as a Gradescope autograder results.json: one
// test per check, worth its points (1 unless a requirement says otherwise)
// when it passed and 0 when it failed, the total as the score, everything
// visible to the student.
func (g *Grading) WriteGradescope(w io.Writer) error {
	res := gradescopeResults{
		ExecutionTime: int(math.Round(g.Elapsed.Seconds())),
		Visibility:    "visible",
		Tests:         []gradescopeTest{},
	}
	for _, c := range g.Checks {
		t := gradescopeTest{Name: c.Name, MaxScore: c.Worth(), Status: "failed", Output: c.String()}
		if c.Pass {
			t.Score, t.Status = c.Worth(), "passed"
		}
		res.Score += t.Score
		res.Tests = append(res.Tests, t)
	}
	passed := 0
	for _, c := range g.Checks {
		if c.Pass {
			passed++
		}
	}
	_, of := g.Score()
	res.Output = fmt.Sprintf("brine grade %s: %d of %d checks passed, %v of %v points", g.Report, passed, len(g.Checks), res.Score, of)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // check names hold >= and <=, for people to read
	return enc.Encode(res)
}
