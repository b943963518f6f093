// Package cgroup reads what Linux control groups say about a process: how
// many processes the kernel's OOM killer took from its memory cgroup, and
// how many more processes and threads its pids cgroup allows. It reads
// cgroup v2 (unified) and v1 hierarchies, mounted where systemd and
// container runtimes mount them, under /sys/fs/cgroup. Where there are
// none, it knows nothing and says so.
package cgroup

import (
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
)

// root is where the hierarchies are mounted; tests move it.
var root = "/sys/fs/cgroup"

// Groups are the cgroups of one process: its path in the unified
// hierarchy, and in v1 hierarchies by controller.
type Groups struct {
	unified string
	v1      map[string]string
}

// Of returns the cgroups of process pid, or of this process for pid 0.
func Of(pid int) (Groups, error) {
	name := "/proc/self/cgroup"
	if pid > 0 {
		name = "/proc/" + strconv.Itoa(pid) + "/cgroup"
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return Groups{}, fmt.Errorf("cgroup: %w", err)
	}
	return parse(string(data)), nil
}

// parse reads a /proc/PID/cgroup file: "0::/path" for the unified
// hierarchy, "N:controller[,controller...]:/path" for v1 ones.
func parse(data string) Groups {
	g := Groups{v1: map[string]string{}}
	for line := range strings.Lines(data) {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			g.unified = parts[2]
			continue
		}
		for c := range strings.SplitSeq(parts[1], ",") {
			g.v1[c] = parts[2]
		}
	}
	return g
}

// dirs returns the directories of the process's cgroup of controller that
// hold file, from its own up to the hierarchy's root: in the v1 hierarchy
// of controller, else in the unified one. Inside a cgroup namespace, where
// its path is not found under the mount, the mount's root is its cgroup.
func (g Groups) dirs(controller, file string) []string {
	var mounts []string
	var p string
	if v, ok := g.v1[controller]; ok {
		mounts, p = []string{path.Join(root, controller)}, v
	} else if g.unified != "" {
		mounts, p = []string{root, path.Join(root, "unified")}, g.unified
	}
	for _, m := range mounts {
		var ds []string
		for q := path.Clean("/" + p); ; q = path.Dir(q) {
			if d := path.Join(m, q); exists(path.Join(d, file)) {
				ds = append(ds, d)
			}
			if q == "/" {
				break
			}
		}
		if len(ds) > 0 {
			return ds
		}
	}
	return nil
}

func exists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

// readValue returns the value of key in a flat-keyed file ("key value"
// lines), as memory.events and memory.oom_control are.
func readValue(file, key string) (int64, bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, key+" "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// readNumber returns the number a single-value file holds, or false for
// "max" or no file.
func readNumber(file string) (int64, bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	return n, err == nil
}

// Dir returns the directory of the process's own cgroup of controller
// ("memory", "pids"), or "" when it is not found.
func (g Groups) Dir(controller string) string {
	if ds := g.dirs(controller, "cgroup.procs"); len(ds) > 0 {
		return ds[0]
	}
	return ""
}
