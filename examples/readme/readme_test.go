package readme

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// The README's library program, copied into a module of its own that
// requires this one, builds, runs its workers and prints the output its
// last comment promises.
func TestLibraryProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	prog := firstProgram(string(readme))
	if prog == "" {
		t.Fatal("README.md has no ```go block that is a program (package main)")
	}
	want := regexp.MustCompile(`fmt\.Println\(out, err\) // (.*)`).FindStringSubmatch(prog)
	if want == nil {
		t.Fatal("the README's program does not say what it prints (// after fmt.Println(out, err))")
	}
	dir := t.TempDir()
	gomod := "module readmecheck\n\ngo 1.26\n\nrequire github.com/brinehq/brine v0.0.0\n\nreplace github.com/brinehq/brine => " + root + "\n"
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum, "main.go": []byte(prog)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	tidy := exec.Command(gobin, "mod", "tidy")
	tidy.Dir = dir
	if out, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	run := exec.Command(gobin, "run", ".")
	run.Dir = dir
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	if err := run.Run(); err != nil {
		t.Fatalf("go run: %v\n%s", err, &stderr)
	}
	if got := strings.TrimSpace(stdout.String()); got != want[1] {
		t.Fatalf("the README's program printed %q, its comment says %q\nstderr:\n%s", got, want[1], &stderr)
	}
}

// firstProgram returns the first ```go block of md that is a program.
func firstProgram(md string) string {
	for _, block := range strings.Split(md, "```go\n")[1:] {
		code, _, _ := strings.Cut(block, "```")
		if strings.HasPrefix(code, "package main") {
			return code
		}
	}
	return ""
}
