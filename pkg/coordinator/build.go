package coordinator

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// A lean build (go build -tags lean; make build's bin/coordinator) leaves
// out the packages of what only some runs use, whose start-up every run
// of a full build pays for before its first line: the NATS and plugin
// transports, metrics, traces and plots. It parses the same flags, and
// hands a run that asks for one of those, with the same arguments, to the
// full build beside it (bin/coordinator-full), which replaces it.

// fullName is the full build's file name, beside a lean build.
const fullName = "coordinator-full"

// errFull is the error of a run that only a full build can make; needsFull
// wraps it with the flag that asks for it.
var errFull = errors.New("needs the full build")

type fullError struct{ feature string }

func (e *fullError) Error() string   { return e.feature + " " + errFull.Error() }
func (e *fullError) Is(t error) bool { return t == errFull }

func needsFull(feature string) error { return &fullError{feature} }

// fullFeature names the first flag of c that a lean build cannot serve,
// or returns "".
func (c *config) fullFeature() string {
	switch {
	case c.transport != "pipe":
		return "-transport " + c.transport
	case c.obs.metrics != "":
		return "-metrics"
	case c.obs.trace != "":
		return "-trace"
	case c.obs.timeline != "":
		return "-timeline"
	case c.plot != "":
		return "-plot"
	}
	return ""
}

// execFull replaces this process by the full build beside it, with args;
// it returns only if it cannot, with the exit status of the failure.
func execFull(args []string, err error, stderr io.Writer) int {
	path, ferr := findBeside(besideCoordinator(), fullName)
	if ferr == nil {
		ferr = syscall.Exec(path, append([]string{path}, args...), os.Environ())
	}
	fmt.Fprintf(stderr, "coordinator: %v: this coordinator is the lean build, which hands such runs to %s beside it: %v (make build builds both)\n",
		err, fullName, ferr)
	return ExitUsage
}
