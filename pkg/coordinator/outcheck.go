package coordinator

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// errOutput marks an error writing the report or the plot: Main exits
// with ExitReport for it, whatever happened to the run.
var errOutput = errors.New("output")

type outputError struct{ err error }

func (e *outputError) Error() string   { return e.err.Error() }
func (e *outputError) Unwrap() error   { return e.err }
func (e *outputError) Is(t error) bool { return t == errOutput }

// failedOutput marks err, which names the file, as an error writing the
// output of flag.
func failedOutput(flag string, err error) error {
	return &outputError{fmt.Errorf("%s %w", flag, err)}
}

// checkOutput makes sure that the file name given to flag can be written,
// so that a run does not end by losing its report: a new file can be
// created in the directory, and an existing one is writable. It creates
// and removes a file there, the one check that cannot mislead. For "-",
// stdout must not be closed.
func checkOutput(flag, name string, stdout io.Writer) error {
	switch name {
	case "":
		return nil
	case "-":
		if f, ok := stdout.(*os.File); ok && wasClosed(f) {
			return failedOutput(flag, errors.New("-: stdout is closed, so the report would be lost: give -report FILE"))
		}
		return nil
	}
	target := followLinks(name)
	if fi, err := os.Stat(target); err == nil {
		if fi.IsDir() {
			return failedOutput(flag, fmt.Errorf("%s is a directory: give a file name", name))
		}
		if err := unix.Access(target, unix.W_OK); err != nil {
			return failedOutput(flag, fmt.Errorf("%s cannot be written: %w", name, err))
		}
		if !fi.Mode().IsRegular() {
			return nil // a pipe or a device, written in place; opening a pipe here would end its reader's input
		}
	}
	f, err := createBeside(target, nil)
	if err != nil {
		return failedOutput(flag, fmt.Errorf("%s: cannot create a file in its directory: %w: create the directory or give another path", name, unwrapPath(err)))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// wasClosed reports whether f, the process's stdout, was closed when the
// process started. Go's runtime then opens /dev/null read-write in its
// place (runtime.checkfds); a shell's >/dev/null opens it write-only, and
// is left alone: that user asked for the output to go nowhere.
func wasClosed(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return true
	}
	null, err := os.Stat(os.DevNull)
	if err != nil || !os.SameFile(fi, null) {
		return false
	}
	flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
	return err == nil && flags&unix.O_ACCMODE == unix.O_RDWR
}
