package cgroup

import (
	"fmt"
	"path"
)

// OOMKills is the count of processes the OOM killer killed, read from each
// memory cgroup from a process's own up to the root: oom_kill in
// memory.events (v2, where a cgroup's count includes those of the cgroups
// below it) or in memory.oom_control (v1). Its zero value knows nothing.
type OOMKills []oomCount

type oomCount struct {
	file  string
	kills int64
}

// OOM reads the OOM kill counts of g's memory cgroups.
func (g Groups) OOM() OOMKills {
	var ks OOMKills
	for _, file := range []string{"memory.events", "memory.oom_control"} {
		for _, d := range g.dirs("memory", file) {
			f := path.Join(d, file)
			if n, ok := readValue(f, "oom_kill"); ok {
				ks = append(ks, oomCount{f, n})
			}
		}
		if len(ks) > 0 {
			return ks
		}
	}
	return nil
}

// Explain says who SIGKILLed a process whose memory cgroups counted
// before when it started, reading the counts again now: the nearest cgroup
// that still exists (a transient one, a systemd scope, may be gone with
// its process) and whose count rose names the OOM killer.
func (before OOMKills) Explain() string {
	read := ""
	for _, b := range before {
		now, ok := readValue(b.file, "oom_kill")
		if !ok {
			continue
		}
		if now > b.kills {
			return fmt.Sprintf("suspected out of memory: the kernel's OOM killer killed %d process(es) of its cgroup meanwhile "+
				"(oom_kill in %s); give the workers more memory or run fewer of them", now-b.kills, b.file)
		}
		if read == "" {
			read = b.file
		}
	}
	if read == "" {
		return "killed by SIGKILL, not by brine: out of memory?"
	}
	return fmt.Sprintf("killed by SIGKILL from outside brine, not by the OOM killer (oom_kill in %s is unchanged)", read)
}
