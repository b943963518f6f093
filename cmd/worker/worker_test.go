package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestIndependentClient drives the real worker binary with a coordinator
// written in Python from docs/PROTOCOL.md, using Debian's python3-msgpack:
// an independent implementation of the protocol and of msgpack.
func TestIndependentClient(t *testing.T) {
	python := findPythonWithMsgpack(t)
	bin := filepath.Join(t.TempDir(), "worker")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building the worker: %v\n%s", err, out)
	}
	out, err := exec.Command(python, "testdata/pyclient.py", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("python client: %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "ok:") {
		t.Fatalf("python client said: %s", out)
	}
	t.Logf("%s", out)
}

// findPythonWithMsgpack returns an interpreter that can import msgpack. In
// CI (make test installs python3-msgpack) its absence is a failure; on a
// developer's machine without it the test is skipped.
func findPythonWithMsgpack(t *testing.T) string {
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import msgpack").Run() == nil {
			return py
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no python3 with msgpack: make test installs Debian's python3-msgpack")
	}
	t.Skip("no python3 with msgpack (apt-get install python3-msgpack)")
	return ""
}
