package report_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brinehq/brine/pkg/report"
)

// TestGolden compares each built-in job's normalized thread-mode report
// with testdata/golden/JOB.json byte for byte; -update rewrites them.
func TestGolden(t *testing.T) {
	for _, job := range jobRuns {
		t.Run(job.name, func(t *testing.T) {
			got := normalized(t, runReport(t, append(job.args, "-mode", "thread", "-workers", "2")...))
			path := filepath.Join("testdata", "golden", job.name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./pkg/report -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("the normalized report differs from %s (if the change is meant, run go test ./pkg/report -run TestGolden -update):\n%s",
					path, firstDiff(got, want))
			}
		})
	}
}

// TestModesAgree checks that thread and process runs of each job have the
// same deterministic part: equal normalized results and digests.
func TestModesAgree(t *testing.T) {
	for _, job := range jobRuns {
		t.Run(job.name, func(t *testing.T) {
			var results [2]string
			for i, mode := range []string{"thread", "process"} {
				rep, err := report.Decode(runReport(t, append(job.args, "-mode", mode, "-workers", "3")...))
				if err != nil {
					t.Fatal(err)
				}
				rep.Normalize()
				var buf bytes.Buffer
				report.Write(&buf, &report.Report{Digest: rep.Digest, Results: rep.Results})
				results[i] = buf.String()
			}
			if results[0] != results[1] {
				t.Errorf("thread and process results differ:\n%s", firstDiff([]byte(results[0]), []byte(results[1])))
			}
		})
	}
}

func normalized(t *testing.T, data []byte) []byte {
	t.Helper()
	rep, err := report.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	rep.Normalize()
	var buf bytes.Buffer
	if err := report.Write(&buf, rep); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, gl, wl)
		}
	}
	return "(equal)"
}
