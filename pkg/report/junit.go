package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// JUnit XML, the subset that Jenkins, GitLab, GitHub Actions reporters and
// the Ant schema agree on: one testsuite per report, one testcase per check,
// a failure element for each failed check.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Hostname   string          `xml:"hostname,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  junitText       `xml:"system-out"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

// junitText is element content kept readable: newlines stay newlines.
type junitText struct {
	Text string `xml:",cdata"`
}

// junitClass is the classname of every testcase: CI tools group by it.
const junitClass = "brine.grade"

// WriteJUnit writes g as a JUnit XML document: one testsuite named after
// the report, with one testcase per check and a failure element for each
// check that failed.
func (g *Grading) WriteJUnit(w io.Writer) error {
	host, _ := os.Hostname()
	s := junitSuite{
		Name: "brine grade " + g.Report, Tests: len(g.Checks), Time: seconds(g.Elapsed),
		Timestamp: time.Now().UTC().Format("2006-01-02T15:04:05"), Hostname: host,
		Properties: []junitProperty{{"report", g.Report}, {"schema", Schema}},
	}
	if r := g.Parsed; r != nil {
		s.Properties = append(s.Properties,
			junitProperty{"job", r.Job}, junitProperty{"tasks", fmt.Sprint(r.Tasks)},
			junitProperty{"size", fmt.Sprint(r.Size)}, junitProperty{"seed", fmt.Sprint(r.Seed)},
			junitProperty{"digest", r.Digest})
	}
	got, of := g.Score()
	s.Properties = append(s.Properties, junitProperty{"points", fmt.Sprintf("%v of %v", got, of)})
	var out strings.Builder
	for _, c := range g.Checks {
		tc := junitCase{Name: c.Name, Classname: junitClass, Time: seconds(c.Elapsed)}
		if !c.Pass {
			s.Failures++
			tc.Failure = &junitFailure{Message: c.Detail, Type: "FAIL", Text: xmlSafe(c.String())}
		}
		s.Cases = append(s.Cases, tc)
		out.WriteString(c.String() + "\n")
	}
	s.SystemOut = junitText{xmlSafe(out.String())}
	doc := junitSuites{Name: "brine grade", Tests: s.Tests, Failures: s.Failures, Time: s.Time, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// xmlSafe replaces the characters XML 1.0 cannot hold, which a CDATA
// section would pass through (attributes are escaped by encoding/xml).
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s)
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.6f", d.Seconds()) }
