package coordinator

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// writeFile writes what write produces to the file name so that name holds
// either what it held before or all of the new bytes, never a part of them:
// the bytes go to a temporary file in name's directory, which is synced and
// then renamed over name (rename(2) replaces a file atomically). On failure
// name is left as it was and the temporary file is removed. Of two runs
// writing one name, the last to finish wins, whole.
//
// A name that exists and is not a regular file (a pipe, a terminal,
// /dev/null) is written in place: nothing can be renamed over it. A
// symbolic link is followed, and the file it points to replaced.
func writeFile(name string, write func(io.Writer) error) error {
	target := followLinks(name)
	var keep *fs.FileMode // the mode of the file replaced
	if fi, err := os.Stat(target); err == nil {
		switch {
		case fi.IsDir():
			return fmt.Errorf("%s is a directory: give a file name", name)
		case !fi.Mode().IsRegular():
			return writeInPlace(name, write)
		}
		perm := fi.Mode().Perm()
		keep = &perm
	}
	f, err := createBeside(target, keep)
	if err != nil {
		return fmt.Errorf("%s: cannot create a file in its directory: %w", name, unwrapPath(err))
	}
	if err := fill(f, write); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("%s: %w (the file is unchanged)", name, unwrapPath(err))
	}
	if err := os.Rename(f.Name(), target); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("%s: %w (the file is unchanged)", name, unwrapPath(err))
	}
	syncDir(filepath.Dir(target))
	return nil
}

// followLinks returns the file that name's symbolic links lead to, which
// need not exist yet.
func followLinks(name string) string {
	for range 40 { // Linux's limit on nested links
		fi, err := os.Lstat(name)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return name
		}
		to, err := os.Readlink(name)
		if err != nil {
			return name
		}
		if !filepath.IsAbs(to) {
			to = filepath.Join(filepath.Dir(name), to)
		}
		name = to
	}
	return name
}

// createBeside creates a new, hidden file in the directory of target. Its
// mode is keep, as a file rewritten in place keeps its mode, or for a new
// file 0666 less the umask, as os.Create makes it.
func createBeside(target string, keep *fs.FileMode) (*os.File, error) {
	dir, base := filepath.Split(target)
	for {
		var b [6]byte
		rand.Read(b[:])
		tmp := filepath.Join(dir, "."+base+"."+hex.EncodeToString(b[:])+".tmp")
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err == nil && keep != nil {
			if err = f.Chmod(*keep); err != nil {
				f.Close()
				os.Remove(tmp)
			}
		}
		return f, err
	}
}

// fill writes f with write, syncs it to disk and closes it.
func fill(f *os.File, write func(io.Writer) error) error {
	err := write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func writeInPlace(name string, write func(io.Writer) error) error {
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, unwrapPath(err))
	}
	return nil
}

// syncDir makes a rename in dir durable. It is best effort: the file is
// whole either way; only a crash right after could undo the rename.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// unwrapPath drops the path from an *fs.PathError, which for a temporary
// file names a file the user never asked for.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
