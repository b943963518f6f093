package coordinator

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/brinehq/brine/pkg/report"
)

// onlyFile fails unless dir holds exactly the file name: no temporary file
// is left behind.
func onlyFile(t *testing.T, dir, name string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != name {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("%s holds %q, want only %s", dir, names, name)
	}
}

func readString(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A report that fails half-way through encoding leaves the previous report
// as it was.
func TestFailedReportKeepsThePreviousOne(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "r.json")
	good := newReport("echo", 1, 0, 1, 1)
	good.Results = []report.Result{{Task: 0, Status: "ok", Output: 1}}
	if err := writeReport(name, good, report.Each(good.Results), nil); err != nil {
		t.Fatal(err)
	}
	before := readString(t, name)

	bad := newReport("echo", 2, 0, 1, 1)
	bad.Results = []report.Result{{Task: 0, Status: "ok", Output: 1}, {Task: 1, Status: "ok", Output: math.NaN()}}
	err := writeReport(name, bad, report.Each(bad.Results), nil)
	if err == nil {
		t.Fatal("a report with a NaN output was written")
	}
	t.Log(err)
	if after := readString(t, name); after != before {
		t.Errorf("the failed write changed the report:\n%s", after)
	}
	onlyFile(t, dir, "r.json")
}

// While a report is being written, the file holds the previous report
// whole: a reader, or a run writing the same file, never sees a part.
func TestReportIsNeverSeenHalfWritten(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "r.json")
	if err := os.WriteFile(name, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	midway, resume := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- writeFile(name, func(w io.Writer) error {
			io.WriteString(w, "new, first half\n")
			close(midway)
			<-resume
			_, err := io.WriteString(w, "new, second half\n")
			return err
		})
	}()
	<-midway
	if got := readString(t, name); got != "old\n" {
		t.Errorf("half-way through the write the file holds %q, want the old content", got)
	}
	close(resume)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := readString(t, name); got != "new, first half\nnew, second half\n" {
		t.Errorf("after the write the file holds %q", got)
	}
	if fi, err := os.Stat(name); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode after the write: %v, %v; want -rw-r----- kept", fi.Mode(), err)
	}
	onlyFile(t, dir, "r.json")
}

// A symbolic link is followed; a file that cannot be renamed over, such as
// /dev/null, is written in place; a directory is refused.
func TestWriteFileTargets(t *testing.T) {
	dir := t.TempDir()
	real, link := filepath.Join(dir, "real.json"), filepath.Join(dir, "link.json")
	if err := os.Symlink("real.json", link); err != nil {
		t.Fatal(err)
	}
	write := func(w io.Writer) error { _, err := io.WriteString(w, "x\n"); return err }
	if err := writeFile(link, write); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("%s is no longer a symbolic link: %v, %v", link, fi.Mode(), err)
	}
	if got := readString(t, real); got != "x\n" {
		t.Errorf("the link's target holds %q", got)
	}
	if err := writeFile(os.DevNull, write); err != nil {
		t.Errorf("writing %s: %v", os.DevNull, err)
	}
	fail := errors.New("should not be called")
	if err := writeFile(dir, func(io.Writer) error { return fail }); err == nil || errors.Is(err, fail) {
		t.Errorf("writing to a directory: %v, want it refused before writing", err)
	}
}
