package main_test

import (
	"errors"
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

// The pipe-only worker (make build's bin/worker-pipe) refuses a NATS
// command line with a usage error that names the worker to run instead;
// the full worker takes it.
func TestPipeWorkerRefusesNATS(t *testing.T) {
	dir := t.TempDir()
	for _, b := range []struct{ name, tags string }{{"worker-pipe", "nonats"}, {"worker", ""}} {
		if out, err := exec.Command("go", "build", "-tags", b.tags, "-o", filepath.Join(dir, b.name), ".").CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", b.name, err, out)
		}
	}
	out, err := exec.Command(filepath.Join(dir, "worker-pipe"), "-nats", "nats://127.0.0.1:1").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "run bin/worker") {
		t.Errorf("worker-pipe -nats: %v\n%s\nwant exit status 2 and a message naming bin/worker", err, out)
	}
	out, err = exec.Command(filepath.Join(dir, "worker"), "-h").CombinedOutput()
	if !strings.Contains(string(out), "usage: worker -nats URL") {
		t.Errorf("worker -h: %v\n%s\nwant its NATS usage", err, out)
	}
}

// A worker started as one (BRINE_WORKER set) without the protocol's
// descriptors says so and exits with the usage status, rather than failing
// on its first write.
func TestWorkerWithoutDescriptors(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "worker")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building the worker: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "BRINE_WORKER=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "protocol descriptors 3 and 4 are not open pipes") {
		t.Errorf("worker without fds 3 and 4: %v\n%s\nwant exit status 2 and a message naming the descriptors", err, out)
	}
}
