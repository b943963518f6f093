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
// test per check, worth 1 point when it passed and 0 when it failed, the
// total as the score, everything visible to the student.
func (g *Grading) WriteGradescope(w io.Writer) error {
	res := gradescopeResults{
		ExecutionTime: int(math.Round(g.Elapsed.Seconds())),
		Visibility:    "visible",
		Tests:         []gradescopeTest{},
	}
	for _, c := range g.Checks {
		t := gradescopeTest{Name: c.Name, MaxScore: 1, Status: "failed", Output: c.String()}
		if c.Pass {
			t.Score, t.Status = 1, "passed"
		}
		res.Score += t.Score
		res.Tests = append(res.Tests, t)
	}
	res.Output = fmt.Sprintf("brine grade %s: %v of %d checks passed", g.Report, res.Score, len(g.Checks))
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
