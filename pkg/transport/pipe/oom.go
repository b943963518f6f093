package pipe

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// oomCounter reads how many processes of this process's cgroup the kernel's
// OOM killer has killed: oom_kill in memory.events (cgroup v2) or in
// memory.oom_control (v1). Workers share the coordinator's cgroup. The zero
// value, for a system with neither, knows nothing.
type oomCounter struct {
	path string
}

// findOOMCounter locates the counter of this process's memory cgroup.
func findOOMCounter() oomCounter {
	unified, v1 := "/", "/"
	if data, err := os.ReadFile("/proc/self/cgroup"); err == nil {
		for line := range strings.Lines(string(data)) {
			parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
			if len(parts) != 3 {
				continue
			}
			switch {
			case parts[0] == "0" && parts[1] == "":
				unified = parts[2]
			case strings.Contains(","+parts[1]+",", ",memory,"):
				v1 = parts[2]
			}
		}
	}
	// Inside a cgroup namespace the path may not exist under the mount:
	// the mount's root is then this process's cgroup.
	for _, p := range []string{
		"/sys/fs/cgroup" + unified + "/memory.events",
		"/sys/fs/cgroup/unified" + unified + "/memory.events",
		"/sys/fs/cgroup/memory" + v1 + "/memory.oom_control",
		"/sys/fs/cgroup/memory.events",
		"/sys/fs/cgroup/memory/memory.oom_control",
	} {
		if _, ok := readOOMKills(p); ok {
			return oomCounter{path: p}
		}
	}
	return oomCounter{}
}

func readOOMKills(path string) (int64, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "oom_kill "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// count returns the current count, or -1 when it is unknown.
func (c oomCounter) count() int64 {
	if c.path == "" {
		return -1
	}
	n, ok := readOOMKills(c.path)
	if !ok {
		return -1
	}
	return n
}

// explain says who SIGKILLed a worker that the pool did not kill, given the
// count when the worker started.
func (c oomCounter) explain(before int64) string {
	now := c.count()
	switch {
	case before < 0 || now < 0:
		return "killed by SIGKILL, not by brine: out of memory?"
	case now > before:
		return fmt.Sprintf("suspected out of memory: the kernel's OOM killer killed %d process(es) of this cgroup meanwhile (oom_kill in %s); "+
			"give the workers more memory or run fewer of them", now-before, c.path)
	default:
		return fmt.Sprintf("killed by SIGKILL from outside brine, not by the OOM killer (oom_kill in %s is unchanged)", c.path)
	}
}
