// Package buildtest builds brine's commands for tests that run them as a
// user would: a coordinator and its workers as separate executables.
package buildtest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Commands builds the named commands of the module ("coordinator",
// "worker": directories under cmd/) into a temporary directory of t's, and
// returns that directory. It skips t where no go command is found.
func Commands(t testing.TB, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	args := []string{"-o", dir + string(filepath.Separator)}
	for _, n := range names {
		args = append(args, "github.com/brinehq/brine/cmd/"+n)
	}
	goBuild(t, args...)
	return dir
}

// Command builds the command name (a directory under cmd/) into dir as
// file out, with the build tags given.
func Command(t testing.TB, dir, name, out string, tags ...string) {
	t.Helper()
	args := []string{"-o", filepath.Join(dir, out)}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	goBuild(t, append(args, "github.com/brinehq/brine/cmd/"+name)...)
}

// goBuild runs go build with args, failing t if it fails and skipping t
// where no go command is found.
func goBuild(t testing.TB, args ...string) {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the commands with")
	}
	if out, err := exec.Command(gobin, append([]string{"build"}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
}
