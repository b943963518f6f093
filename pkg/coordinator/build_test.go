package coordinator

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brinehq/brine/internal/buildtest"
	natst "github.com/brinehq/brine/pkg/transport/nats"
)

// The help of -nats-listen names the variable the NATS transport reads.
func TestNATSTokenEnv(t *testing.T) {
	if natsTokenEnv != natst.EnvToken {
		t.Fatalf("the coordinator names %s, the transport reads %s", natsTokenEnv, natst.EnvToken)
	}
}

// A lean build links none of the packages it leaves out and runs over
// pipes by itself; a run that asks for what it leaves out goes, with the
// same arguments, to the full build beside it, and without one it says
// what to build.
func TestLeanBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the coordinator twice")
	}
	out, err := exec.Command("go", "list", "-tags", "lean", "-deps", "github.com/brinehq/brine/cmd/coordinator").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, left := range []string{"github.com/nats-io/", "github.com/hashicorp/go-plugin", "google.golang.org/grpc",
		"github.com/prometheus/", "gonum.org/v1/plot", "github.com/brinehq/brine/pkg/observe"} {
		if strings.Contains(string(out), left) {
			t.Errorf("the lean build links %s", left)
		}
	}
	dir := buildtest.Commands(t, "worker")
	buildtest.Command(t, dir, "coordinator", "coordinator", "lean")
	lean := filepath.Join(dir, "coordinator")
	run := func(args ...string) (stdout, stderr string, code int) {
		t.Helper()
		cmd := exec.Command(lean, args...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			return o.String(), e.String(), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return o.String(), e.String(), 0
	}
	// Alone, it runs over pipes and knows every flag.
	if _, stderr, code := run("-h"); code != 0 || !strings.Contains(stderr, "-timeline") || !strings.Contains(stderr, "-nats-listen") {
		t.Fatalf("lean -h: exit %d, %s", code, stderr)
	}
	stdout, stderr, code := run("-workers", "2", "-job", "echo", "-tasks", "5", "-size", "3", "-report", "-")
	var rep struct{ Results []json.RawMessage }
	if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil || len(rep.Results) != 5 {
		t.Fatalf("lean pipe run: exit %d, %d results; stderr %s", code, len(rep.Results), stderr)
	}
	// A trace asked of it, with no full build: it says what to build.
	trace := filepath.Join(t.TempDir(), "run.json")
	_, stderr, code = run("-workers", "1", "-job", "echo", "-tasks", "3", "-trace", trace)
	if code != ExitUsage || !strings.Contains(stderr, "-trace needs the full build") || !strings.Contains(stderr, fullName) {
		t.Fatalf("lean -trace without %s: exit %d, %s", fullName, code, stderr)
	}
	if _, err := os.Stat(trace); err == nil {
		t.Fatal("the trace was written by a build without traces")
	}
	// With it, the full build runs the same command.
	buildtest.Command(t, dir, "coordinator", fullName)
	if _, stderr, code = run("-workers", "1", "-job", "echo", "-tasks", "3", "-trace", trace); code != 0 {
		t.Fatalf("lean -trace with %s: exit %d, %s", fullName, code, stderr)
	}
	if b, err := os.ReadFile(trace); err != nil || !bytes.Contains(b, []byte(`"task 2"`)) {
		t.Fatalf("the full build's trace: %v, %.200s", err, b)
	}
	// The barrier demo's metrics go the same way.
	if _, stderr, code = run("demo", "barrier", "-workers", "1", "-rounds", "3", "-trace", trace); code != 0 {
		t.Fatalf("lean demo barrier -trace: exit %d, %s", code, stderr)
	}
}
