package coordinator_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/brinehq/brine/pkg/coordinator"
)

// -report - into a pipe whose reader has gone is a failed report write,
// exit status 3, not a death by SIGPIPE.
func TestReportToBrokenPipe(t *testing.T) {
	path, err := exec.LookPath("coordinator") // put on PATH by TestMain
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	cmd := exec.Command(path, "-mode", "thread", "-job", "sleep", "-size", "1", "-tasks", "2", "-report", "-")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != coordinator.ExitReport {
		t.Fatalf("coordinator: %v, want exit status %d; stderr:\n%s", err, coordinator.ExitReport, &stderr)
	}
	if want := "-report -: writing to stdout: broken pipe"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, &stderr)
	}
}
