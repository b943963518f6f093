package plugin_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// state returns the state of process pid as /proc/PID/stat gives it (R,
// S, Z...) and its parent, or ok false when there is no such process.
func state(pid int) (st byte, ppid int, ok bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) < 2 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	return f[0][0], ppid, true
}

// alive reports whether process pid exists and is not a zombie.
func alive(pid int) bool {
	st, _, ok := state(pid)
	return ok && st != 'Z'
}

// liveChildren returns this process's children that are not zombies.
func liveChildren() []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var out []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		if st, ppid, ok := state(pid); ok && ppid == os.Getpid() && st != 'Z' {
			out = append(out, pid)
		}
	}
	return out
}

// checkNoChildren fails t if a child of this process is alive, after a
// bound for the ones just killed to exit.
func checkNoChildren(t *testing.T) {
	t.Helper()
	var left []int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if left = liveChildren(); len(left) == 0 {
			return
		}
	}
	t.Errorf("processes left behind: %v", left)
}

// checkEmpty fails t unless dir is empty.
func checkEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left in %s: %s", dir, e.Name())
	}
}

// shortTempDir returns a new directory that the test removes, with a name
// short enough for the Unix sockets that go-plugin makes inside it (108
// bytes in all), unlike t.TempDir's.
func shortTempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "bp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
