package coordinator

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/brinehq/brine/pkg/report"
)

// Exit statuses of `coordinator grade`.
const (
	GradePass      = 0 // every check passed
	GradeFail      = 1 // some check failed
	GradeMalformed = 2 // an input is unreadable or not what it should be, or the command line is wrong
)

const gradeSynopsis = "coordinator grade [-expect EXPECTED.json] [-junit FILE] [-gradescope FILE] REPORT.json|-"

// runGrade is `coordinator grade`: it checks a report, prints one line per
// check, writes the CI formats asked for and returns the exit status.
func runGrade(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("coordinator grade", gradeSynopsis, stderr)
	expect := fs.String("expect", "", "compare the results with this report, or {\"digest\": ...} and/or {\"outputs\": [...]};\n"+
		"its \"require\": [...] makes a check of each requirement of the runs, e.g.\n"+
		"{\"mode\": \"process\", \"workers\": 2, \"min_speedup\": 1.6, \"points\": 2} (docs/REPORT.md)")
	junit := fs.String("junit", "", "write the checks as JUnit XML to this file")
	gradescope := fs.String("gradescope", "", "write the checks as a Gradescope results.json to this file")
	name, err := parseGrade(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return GradePass
	}
	if err != nil {
		fmt.Fprintf(stderr, "coordinator grade: %v\n", err)
		return GradeMalformed
	}
	g := grade(name, *expect, stdin)
	for _, c := range g.Checks {
		fmt.Fprintln(stdout, c)
	}
	status := GradePass
	switch {
	case g.Malformed:
		status = GradeMalformed
	case !g.Passed():
		status = GradeFail
	}
	for _, out := range []struct {
		path  string
		write func(io.Writer) error
	}{{*junit, g.WriteJUnit}, {*gradescope, g.WriteGradescope}} {
		if out.path == "" {
			continue
		}
		if err := writeFile(out.path, out.write); err != nil {
			fmt.Fprintf(stderr, "coordinator grade: %v\n", err)
			status = GradeMalformed
		}
	}
	return status
}

// parseGrade parses the flags, which may also follow the report's name,
// and returns that name.
func parseGrade(fs *flag.FlagSet, args []string) (string, error) {
	var names []string
	for {
		if err := parse(fs, args, true); err != nil {
			return "", err
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(names) != 1 {
		return "", usagef("grade takes one report, not %d (usage: %s)", len(names), gradeSynopsis)
	}
	return names[0], nil
}

// grade reads the report (from stdin for "-") and the expectation, and
// grades the report. An unreadable input is a failed check of a malformed
// grading, so that the CI formats still say what went wrong.
func grade(name, expectPath string, stdin io.Reader) *report.Grading {
	data, err := readInput(name, stdin)
	if err != nil {
		return malformed(name, "json", err)
	}
	var exp *report.Expected
	if expectPath != "" {
		edata, err := readInput(expectPath, nil)
		if err == nil {
			exp, err = report.ReadExpected(expectPath, edata)
		}
		if err != nil {
			return malformed(name, "expect", fmt.Errorf("%s: %w", expectPath, err))
		}
	}
	return report.Grade(name, data, exp)
}

func readInput(name string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if name != "-" || stdin == nil {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, report.MaxSize+1))
	if err == nil && len(data) > report.MaxSize {
		err = fmt.Errorf("%s: %w: larger than %d bytes", name, report.ErrNotJSON, report.MaxSize)
	}
	return data, err
}

func malformed(name, check string, err error) *report.Grading {
	return &report.Grading{Report: name, Malformed: true,
		Checks: []report.Check{{Name: check, Detail: err.Error()}}}
}
