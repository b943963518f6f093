package coordinator

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit statuses of the coordinator. Main returns ExitSIGINT for any
// interruption; Signals.ExitCode turns it into the status of the signal
// that stopped the run.
const (
	ExitOK      = 0   // every task succeeded
	ExitFailed  = 1   // some task failed, or the run could not complete
	ExitUsage   = 2   // the command line is wrong
	ExitReport  = 3   // the report or the plot could not be written
	ExitSIGHUP  = 129 // stopped by SIGHUP
	ExitSIGINT  = 130 // interrupted (by SIGINT)
	ExitSIGTERM = 143 // stopped by SIGTERM
)

// errUsage marks an error that is the user's to fix on the command line.
var errUsage = errors.New("usage")

type usageError struct{ msg string }

func (e *usageError) Error() string   { return e.msg }
func (e *usageError) Is(t error) bool { return t == errUsage }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// Main runs the coordinator with args (without the program name), writing
// results to stdout and diagnostics to stderr, and returns the exit status:
// one of Exit*, or for `coordinator grade` one of Grade*.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var err error
	switch {
	case len(args) > 0 && args[0] == "grade":
		return runGrade(args[1:], os.Stdin, stdout, stderr) // its own exit statuses: GradePass...
	case len(args) > 0 && args[0] == "demo":
		err = runDemo(ctx, args[1:], stdout, stderr)
	default:
		var failed bool
		failed, err = runJob(ctx, args, stdout, stderr)
		if err == nil && failed {
			return ExitFailed
		}
	}
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, errFull):
		return execFull(args, err, stderr)
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "coordinator: %v\n", err)
		return ExitUsage
	case errors.Is(err, errOutput): // before an interruption: the report is lost
		fmt.Fprintf(stderr, "coordinator: %v\n", err)
		return ExitReport
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		fmt.Fprintf(stderr, "coordinator: interrupted\n")
		return ExitSIGINT
	default:
		fmt.Fprintf(stderr, "coordinator: %v\n", err)
		return ExitFailed
	}
}

// newFlagSet returns a flag set that reports errors as usage errors instead
// of exiting, and prints its usage to stderr.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	// Usage writes to fs.Output, which parse silences while parsing: the
	// usage is printed once, for -help, and an error is reported by Main.
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, turning a flag error into a usage error that Main
// reports once. Positional arguments are refused unless allowed.
func parse(fs *flag.FlagSet, args []string, positional bool) error {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return err
	}
	if err != nil {
		return usagef("%v (see -help)", err)
	}
	if !positional && fs.NArg() > 0 {
		return usagef("unexpected argument %q (see -help)", strings.Join(fs.Args(), " "))
	}
	return nil
}
