package cgroup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRoot makes a cgroup mount of files under a temporary directory:
// name → content, paths relative to the mount.
func fakeRoot(t *testing.T, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := root
	root = dir
	t.Cleanup(func() { root = old })
}

func write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func events(kills string) string { return "low 0\nhigh 0\nmax 2\noom 1\noom_kill " + kills + "\n" }

// The OOM kill of a worker in a cgroup of its own (a systemd scope) is
// seen in that cgroup, and in its parent once the scope is gone with it;
// a kill from outside leaves every count as it was.
func TestOOMExplainV2(t *testing.T) {
	fakeRoot(t, map[string]string{
		"memory.events":                          events("0"),
		"app.slice/memory.events":                events("5"),
		"app.slice/worker.scope/memory.events":   events("0"),
		"app.slice/worker.scope/cgroup.procs":    "",
		"app.slice/coordinator/memory.events":    events("0"),
		"app.slice/coordinator/cgroup.procs":     "",
		"unrelated.slice/memory.events":          events("9"),
		"unrelated.slice/other.scope/pids.max":   "10\n",
		"unrelated.slice/other.scope/pids.count": "",
	})
	g := parse("0::/app.slice/worker.scope\n")
	before := g.OOM()
	if len(before) != 3 {
		t.Fatalf("%d counts from the worker's cgroup up, want 3: %v", len(before), before)
	}
	if got := before.Explain(); !strings.Contains(got, "not by the OOM killer") || !strings.Contains(got, "worker.scope") {
		t.Errorf("no kill counted: %q", got)
	}
	write(t, "app.slice/worker.scope/memory.events", events("1"))
	write(t, "app.slice/memory.events", events("6"))
	if got := before.Explain(); !strings.Contains(got, "suspected out of memory") || !strings.Contains(got, "worker.scope/memory.events") {
		t.Errorf("the worker's scope counted a kill: %q", got)
	}
	os.RemoveAll(filepath.Join(root, "app.slice/worker.scope"))
	if got := before.Explain(); !strings.Contains(got, "suspected out of memory") || !strings.Contains(got, "app.slice/memory.events") {
		t.Errorf("the scope is gone, its parent counted a kill: %q", got)
	}
	var none OOMKills
	if got := none.Explain(); got != "killed by SIGKILL, not by brine: out of memory?" {
		t.Errorf("no counts: %q", got)
	}
}

// cgroup v1 keeps the count in memory.oom_control, in the memory
// controller's own hierarchy.
func TestOOMExplainV1(t *testing.T) {
	fakeRoot(t, map[string]string{
		"memory/memory.oom_control":           "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
		"memory/job/memory.oom_control":       "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
		"memory/job/w/memory.oom_control":     "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
		"pids/job/pids.max":                   "max\n",
		"unified/job/w/memory.events":         events("7"),
		"memory/elsewhere/memory.oom_control": "oom_kill 4\n",
	})
	g := parse("9:pids:/job\n4:memory:/job/w\n0::/job/w\n")
	before := g.OOM()
	write(t, "memory/job/w/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n")
	if got := before.Explain(); !strings.Contains(got, "killed 1 process(es)") || !strings.Contains(got, "memory/job/w/memory.oom_control") {
		t.Errorf("v1: %q", got)
	}
}

// Inside a cgroup namespace a process's path is not under the mount,
// whose root is then its cgroup.
func TestNamespacedPath(t *testing.T) {
	fakeRoot(t, map[string]string{"memory.events": events("0"), "pids.max": "50\n", "pids.current": "8\n"})
	g := parse("0::/../../outside/ns\n")
	if ks := g.OOM(); len(ks) != 1 || !strings.HasSuffix(ks[0].file, "memory.events") {
		t.Errorf("OOM counts %v, want the mount's root", ks)
	}
	if left, _, ok := g.PidsLeft(); !ok || left != 42 {
		t.Errorf("PidsLeft = %d, %v; want 42", left, ok)
	}
}

// The pids left are the least any level leaves; "max" sets no limit.
func TestPidsLeft(t *testing.T) {
	fakeRoot(t, map[string]string{
		"pids/pids.current":         "300\n",
		"pids/a/pids.max":           "100\n",
		"pids/a/pids.current":       "90\n",
		"pids/a/b/pids.max":         "max\n",
		"pids/a/b/pids.current":     "12\n",
		"pids/a/b/c/pids.max":       "60\n",
		"pids/a/b/c/pids.current":   "20\n",
		"pids/other/pids.max":       "1\n",
		"pids/other/pids.current":   "1\n",
		"pids/unlimited/pids.max":   "max\n",
		"pids/unlimited/pids.count": "",
	})
	left, where, ok := parse("3:pids:/a/b/c\n").PidsLeft()
	if !ok || left != 10 || !strings.HasSuffix(where, "pids/a") {
		t.Errorf("PidsLeft = %d at %s (%v); want 10 at pids/a", left, where, ok)
	}
	if _, _, ok := parse("3:pids:/unlimited\n").PidsLeft(); ok {
		t.Error("no level sets a limit, yet PidsLeft found one")
	}
	if _, _, ok := parse("").PidsLeft(); ok {
		t.Error("no cgroups, yet PidsLeft found a limit")
	}
}

// This process's cgroups can be read wherever the tests run; what they
// hold depends on the machine.
func TestOfSelf(t *testing.T) {
	g, err := Of(0)
	if err != nil {
		t.Skipf("no cgroups here: %v", err)
	}
	if g.unified == "" && len(g.v1) == 0 {
		t.Errorf("Of(0) found no cgroup in /proc/self/cgroup")
	}
}
