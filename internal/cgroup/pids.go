package cgroup

import "path"

// PidsLeft returns how many more processes and threads g's pids cgroups
// allow, the least that pids.max less pids.current leaves at any level
// from the process's own cgroup up to the root, and the directory of the
// cgroup that sets it. ok is false when no level sets a limit.
func (g Groups) PidsLeft() (left int64, where string, ok bool) {
	for _, d := range g.dirs("pids", "pids.max") {
		most, limited := readNumber(path.Join(d, "pids.max"))
		if !limited {
			continue // "max"
		}
		used, _ := readNumber(path.Join(d, "pids.current"))
		if n := max(most-used, 0); !ok || n < left {
			left, where, ok = n, d, true
		}
	}
	return left, where, ok
}
